"""The seed's progress bars count whole rows: "15/15", never "15.0/15.0"."""

from __future__ import annotations

import io

from seed.run import rows_bar


def test_small_tables_count_whole_rows_and_big_ones_scale():
    small = rows_bar("department", 15)
    small.fp = io.StringIO()
    small.update(15)
    shown = str(small)
    small.close()
    assert "15/15 [" in shown and "15.0/" not in shown
    big = rows_bar("appointment", 2_400_000)
    big.fp = io.StringIO()
    big.update(1_200_000)
    shown = str(big)
    big.close()
    assert "1.20M/2.40M [" in shown
