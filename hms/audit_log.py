"""The audit log in <database>_console: write one entry, read them back filtered.

Every console action and every account command is recorded: who (`actor`), when,
what (`action`), on what (`target`), from where (`source`) and how it ended
(`outcome`: success, failure or refused), with a short `detail`. Callers must never
pass a password; values are cut to the column sizes so an over-long attempt is
still recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .identifiers import quote_identifier

OUTCOMES = ("success", "failure", "refused")

INSERT = """
INSERT INTO {schema}.audit_log (actor, action, target, outcome, detail, source)
VALUES (%s, %s, %s, %s, %s, %s)
"""

SELECT = """
SELECT audit_id, occurred_at, actor, action, target, outcome, detail, source
  FROM {schema}.audit_log
 WHERE {where}
 ORDER BY audit_id DESC
 LIMIT %s OFFSET %s
"""

COUNT = "SELECT COUNT(*) FROM {schema}.audit_log WHERE {where}"

RECENT_FAILURES = """
SELECT COUNT(*) FROM {schema}.audit_log
 WHERE action = 'login' AND outcome <> 'success'
   AND occurred_at > NOW(6) - INTERVAL %s SECOND AND (target = %s OR source = %s)
"""


@dataclass(frozen=True)
class Entry:
    """One audit log row."""

    audit_id: int
    occurred_at: datetime
    actor: str
    action: str
    target: str | None
    outcome: str
    detail: str | None
    source: str | None


def record(conn, schema: str, *, actor: str, action: str, target: str | None, outcome: str,
           detail: str | None = None, source: str | None = None) -> None:
    """Write one entry (values cut to the column sizes)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}")
    with conn.cursor() as cur:
        cur.execute(INSERT.format(schema=quote_identifier(schema)),
                    (_cut(actor, 100) or "?", _cut(action, 64), _cut(target, 200), outcome,
                     _cut(detail, 1000), _cut(source, 100)))


def search(conn, schema: str, *, actor: str = "", action: str = "", outcome: str = "", text: str = "",
           limit: int = 50, offset: int = 0) -> tuple[list[Entry], int]:
    """Return (entries newest first, total matching) for the given filters; '' means any."""
    where, args = _filters(actor=actor, action=action, outcome=outcome, text=text)
    with conn.cursor() as cur:
        cur.execute(COUNT.format(schema=quote_identifier(schema), where=where), args)
        total = cur.fetchone()[0]
        cur.execute(SELECT.format(schema=quote_identifier(schema), where=where), args + [int(limit), int(offset)])
        rows = [Entry(*row) for row in cur.fetchall()]
    return rows, total


def recent_login_failures(conn, schema: str, username: str, source: str, seconds: int) -> int:
    """Return how many failed logins for `username` or from `source` the last `seconds` saw."""
    with conn.cursor() as cur:
        cur.execute(RECENT_FAILURES.format(schema=quote_identifier(schema)), (int(seconds), username[:200], source[:100]))
        return cur.fetchone()[0]


def _filters(**filters: str) -> tuple[str, list]:
    clauses, args = ["1 = 1"], []
    for column in ("actor", "action", "outcome"):
        if filters.get(column):
            clauses.append(f"{column} = %s")
            args.append(filters[column])
    if filters.get("text"):
        clauses.append("(target LIKE %s OR detail LIKE %s OR source LIKE %s)")
        like = "%" + filters["text"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        args += [like, like, like]
    return " AND ".join(clauses), args


def _cut(value: str | None, size: int) -> str | None:
    if value is None:
        return None
    value = str(value)
    return value if len(value) <= size else value[: size - 1] + "…"
