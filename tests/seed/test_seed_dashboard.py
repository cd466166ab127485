"""After `hms seed` (whose loader skips the triggers) the dashboard's summaries hold what the
loaded appointments and bills say."""

from __future__ import annotations

from hms.connection import connect
from hms.dashboard import baseline_figures, figures
from tests.sql.test_dashboard_summary import rebuilt, summaries
from tests.support.seeding import AS_OF


def test_dashboard_summaries_are_right_after_a_seed(seeded_two_workers):
    conn = connect(seeded_two_workers)
    try:
        assert summaries(conn) == rebuilt(conn)
        assert summaries(conn)["visit_week_summary"], "the seed loaded appointments: the summary has rows"
        shown = figures(conn, AS_OF)
        assert shown == baseline_figures(conn, AS_OF)
        assert sum(n for _, n in shown.visits_per_week) > 0 and shown.busiest_doctors
        assert sum(total for _, total in shown.revenue_per_month) > 0
    finally:
        conn.close()
