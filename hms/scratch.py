"""Scratch databases that `db verify` and `backup verify` make and always drop, the
scratch objects a migration checks new definitions under, and the leftovers of runs
killed before they could drop them.

A scratch name says who made it and when: <prefix><birth, unix seconds in hex>_<server
connection id in hex>_<6 random hex>. Each run first removes the scratch databases of its
own kind whose connection is gone from the server's process list and which are older than
STALE_AFTER seconds (the age alone protects the run of an account this one cannot see in
the process list). Names from before this scheme (<prefix><random hex>) are judged by
their oldest table's age, and are stale when they hold no table.

A migration compiles each new routine or trigger under a scratch name first
(hms/migrations/objects.py: a routine `hms_chk_<8 hex>`, a trigger on an empty table
`hms_chk_<8 hex>`) and drops it at once; a run killed in between leaves it in the
database it migrates (inside `db verify`'s scratch database, it goes with that). The next
migration of that database removes them before anything else, under the migration lock,
so no live check of another run can be among them.
"""

from __future__ import annotations

import re
import secrets
import time

from .databases import drop_database
from .identifiers import quote_identifier

STALE_AFTER = 300
CONSOLE_SUFFIX = "_console"  # a scratch's console schema (see databases.console_schema)
NAMED = re.compile(r"^(?P<born>[0-9a-f]{8})_(?P<conn>[0-9a-f]{1,16})_(?P<tag>[0-9a-f]{6})$")
UNNAMED = re.compile(r"^(?P<tag>[0-9a-f]{10,12})$")

SCRATCHES = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE %s"
CONNECTIONS = "SELECT ID FROM information_schema.PROCESSLIST"
# objects.check's scratch names; a name of this exact shape is never a user's object.
CHECK_NAME = re.compile(r"^hms_chk_[0-9a-f]{8}$")
CHECK_OBJECTS = """
SELECT 'TRIGGER', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s AND TRIGGER_NAME LIKE %s
UNION ALL
SELECT 'TABLE', TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME LIKE %s
UNION ALL
SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s AND ROUTINE_NAME LIKE %s
"""
CHECK_LIKE = "hms\\_chk\\_%"
OLDEST_TABLE = ("SELECT TIMESTAMPDIFF(SECOND, MIN(CREATE_TIME), NOW()) FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = %s")


def scratch_name(conn, prefix: str) -> str:
    """A new scratch database name of kind `prefix`, owned by `conn`'s server connection."""
    return f"{prefix}{int(time.time()):08x}_{conn.thread_id():x}_{secrets.token_hex(3)}"


def tag(name: str, prefix: str) -> str | None:
    """The random part of a scratch name (what its scratch roles are named with), or None."""
    match = _parse(name, prefix)
    return match.group("tag") if match else None


def stale(conn, prefix: str) -> list[str]:
    """Scratch databases of kind `prefix` left behind by runs that are gone, oldest first."""
    with conn.cursor() as cur:
        cur.execute(SCRATCHES, (prefix.replace("_", "\\_") + "%",))
        names = sorted(row[0] for row in cur.fetchall())
        cur.execute(CONNECTIONS)
        live = {int(row[0]) for row in cur.fetchall()}
        found = []
        for name in names:
            match = _parse(name, prefix)
            if match is None:
                continue  # not a name this tool makes: never touched
            if "born" in match.groupdict():
                gone = int(match.group("conn"), 16) not in live
                if gone and time.time() - int(match.group("born"), 16) > STALE_AFTER:
                    found.append(name)
                continue
            cur.execute(OLDEST_TABLE, (name,))
            age = cur.fetchone()[0]
            if age is None or age > STALE_AFTER:
                found.append(name)
    return found


def remove_stale(conn, prefix: str) -> list[str]:
    """Drop the leftover scratch databases of kind `prefix`; return their names."""
    removed = stale(conn, prefix)
    for name in removed:
        drop_database(conn, name)
    return removed


def _parse(name: str, prefix: str):
    if not name.startswith(prefix):
        return None
    rest = name[len(prefix):].removesuffix(CONSOLE_SUFFIX)
    return NAMED.fullmatch(rest) or UNNAMED.fullmatch(rest)


def tags_in_use(conn, prefix: str) -> set[str]:
    """The random parts of the scratch databases of kind `prefix` that exist now."""
    with conn.cursor() as cur:
        cur.execute(SCRATCHES, (prefix.replace("_", "\\_") + "%",))
        return {t for t in (tag(row[0], prefix) for row in cur.fetchall()) if t}


def remove_check_leftovers(conn, database: str) -> list[str]:
    """Drop the check objects a killed migration left in `database`; return them as "KIND name".

    Call it only while holding `database`'s migration lock (runner.py): only a migration
    makes them, so every one found then belongs to a run that is gone. A trigger goes
    before its table, and a scratch table takes any trigger on it along.
    """
    with conn.cursor() as cur:
        cur.execute(CHECK_OBJECTS, (database, CHECK_LIKE) * 3)
        found = [(kind.upper(), name) for kind, name in cur.fetchall() if CHECK_NAME.match(name)]
        for kind, name in found:
            cur.execute(f"DROP {kind} IF EXISTS {quote_identifier(database)}.{quote_identifier(name)}")
    return [f"{kind} {name}" for kind, name in found]
