"""The audit log in <database>_console: write one entry, read them back filtered.

Every console action and every account command is recorded: who (`actor`), when,
what (`action`), on what (`target`), from where (`source`) and how it ended
(`outcome`: success, failure or refused), with a short `detail`. Callers must never
pass a password; values are cut to the column sizes so an over-long attempt is
still recorded.

Every entry is chained to the one before it (sql/console/schema/V007__audit_log_chain.sql):
`row_hash` is SHA-256 over the previous entry's hash and this entry's contents, computed
on the server by a trigger for every writer. `verify` recomputes the chain here, in
Python, and names the first entry that was edited, deleted or inserted out of order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import pymysql

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

CHAIN = """
SELECT audit_id, occurred_at, actor, action, target, outcome, detail, source, prev_hash, row_hash
  FROM {schema}.audit_log
 ORDER BY audit_id
"""

HEAD = "SELECT last_id, last_hash FROM {schema}.audit_chain_head WHERE chain_id = 1"

# The hash the first entry follows.
GENESIS = "0" * 64

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


@dataclass(frozen=True)
class ChainReport:
    """What `verify` found: how many entries it checked, the chain's head, the first broken link."""

    checked: int
    head_id: int
    head_hash: str
    broken_at: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


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


def entry_hash(prev_hash: str, audit_id: int, occurred_at: datetime, actor: str | None, action: str | None,
               target: str | None, outcome: str | None, detail: str | None, source: str | None) -> str:
    """The hash trg_audit_log_chain gives an entry: SHA-256 over the previous hash and its fields."""
    def text(value: str | None) -> str:
        return "-" if value is None else f"{len(value)}:{value}"
    parts = [prev_hash, str(audit_id), occurred_at.strftime("%Y-%m-%d %H:%M:%S.%f"),
             *(text(v) for v in (actor, action, target, outcome, detail, source))]
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def verify(conn, schema: str) -> ChainReport:
    """Walk the whole chain oldest first; return where it first breaks, if it does.

    Read in one consistent snapshot, so entries written meanwhile neither break nor extend it.
    """
    quoted = quote_identifier(schema)
    checked, previous, previous_id = 0, GENESIS, None
    with conn.cursor() as cur:
        cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
    try:
        with conn.cursor() as cur:
            cur.execute(HEAD.format(schema=quoted))
            head = cur.fetchone()
        head_id, head_hash = (int(head[0]), head[1]) if head else (0, GENESIS)
        with conn.cursor(pymysql.cursors.SSCursor) as cur:
            cur.execute(CHAIN.format(schema=quoted))
            broken = None
            for audit_id, occurred_at, *fields, prev_hash, row_hash in cur:
                if broken is None:
                    broken = _check(audit_id, occurred_at, fields, prev_hash, row_hash, previous, previous_id)
                    if broken is None:
                        checked, previous, previous_id = checked + 1, row_hash, audit_id
        # (the streamed rows are read to the end before the next statement)
    finally:
        with conn.cursor() as cur:
            cur.execute("COMMIT")
    if broken is not None:
        return ChainReport(checked, head_id, head_hash, broken[0], broken[1])
    if (previous_id or 0) != head_id or previous != head_hash:
        last = f"entry {previous_id}" if previous_id else "no entry"
        return ChainReport(checked, head_id, head_hash, head_id,
                           f"the chain ends at {last} but its head is entry {head_id}: "
                           "the newest entries were deleted, or the head was changed")
    return ChainReport(checked, head_id, head_hash)


def _check(audit_id: int, occurred_at: datetime, fields: list, prev_hash: str, row_hash: str,
           previous: str, previous_id: int | None) -> tuple[int, str] | None:
    after = f"entry {previous_id}" if previous_id else "the start of the log"
    if prev_hash != previous:
        return audit_id, (f"entry {audit_id} does not follow {after}: an entry before it was deleted, "
                          "or it was inserted out of order")
    if entry_hash(prev_hash, audit_id, occurred_at, *fields) != row_hash:
        return audit_id, f"entry {audit_id} was changed after it was written: its hash does not match its contents"
    return None


def _filters(**filters: str) -> tuple[str, list]:
    clauses, args = ["1 = 1"], []
    for column in ("actor", "action"):  # by prefix: "backup" finds "backup create", "backup verify", ...
        if filters.get(column):
            clauses.append(f"{column} LIKE %s")
            args.append(_escape_like(filters[column]) + "%")
    if filters.get("outcome"):
        clauses.append("outcome = %s")
        args.append(filters["outcome"])
    if filters.get("text"):
        clauses.append("(target LIKE %s OR detail LIKE %s OR source LIKE %s)")
        like = "%" + _escape_like(filters["text"]) + "%"
        args += [like, like, like]
    return " AND ".join(clauses), args


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def actions(conn, schema: str) -> list[str]:
    """The actions the log holds, for the filter's suggestions."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT DISTINCT action FROM {quote_identifier(schema)}.audit_log ORDER BY action LIMIT 200")
        return [row[0] for row in cur.fetchall()]


def latest_by_target(conn, schema: str, action: str, limit: int = 500) -> dict[str, tuple[datetime, str, str]]:
    """For each target of `action`, its newest entry: (when, outcome, detail). The lasting record
    behind DB Tools' "last verified" column (a verify job is audited as 'backup verify')."""
    quoted = quote_identifier(schema)
    with conn.cursor() as cur:
        cur.execute(f"SELECT target, occurred_at, outcome, COALESCE(detail, '') FROM {quoted}.audit_log "
                    f"WHERE audit_id IN (SELECT MAX(audit_id) FROM {quoted}.audit_log WHERE action = %s "
                    f"GROUP BY target) ORDER BY audit_id DESC LIMIT %s", (action, int(limit)))
        return {target: (occurred, outcome, detail) for target, occurred, outcome, detail in cur.fetchall()}


def _cut(value: str | None, size: int) -> str | None:
    if value is None:
        return None
    value = str(value)
    return value if len(value) <= size else value[: size - 1] + "…"
