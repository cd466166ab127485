"""Repeatable files removed from sql/: the next run drops the routine or trigger each one made.

sql/ states the database, so a routine or trigger file that was applied and is no longer
under sql/ (grant_read_only_routines.sql, replaced by grant_routines.sql) is retired: its
object would otherwise stay on old homes for good, `hms db verify` would list it and
`hms db status` would call the file missing. Only files the history says were applied,
and only the object named after the file (a routine: its function or procedure; a
trigger: the trigger) are dropped. Once the object is gone the file is no longer listed.
A removed role file stays listed as missing: accounts may hold the role, so dropping it
is left to a person.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from ..identifiers import quote_identifier
from .apply import OBJECT_GROUPS
from .files import SqlFile
from .history import HistoryRow

KINDS = {"routines": ("FUNCTION", "PROCEDURE"), "triggers": ("TRIGGER",)}


def _kinds(row: HistoryRow) -> tuple[str, ...]:
    """The object kinds a history row's file could have made; empty for other groups."""
    group = PurePosixPath(row.file).parent.name
    return KINDS.get(group, ()) if row.kind == "repeatable" and group in OBJECT_GROUPS else ()


def objects(rows: list[HistoryRow], files: list[SqlFile], present: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """(kind, name) of the live objects whose applied files are gone from sql/."""
    known = {f.relpath for f in files}
    found = []
    for row in rows:
        name = PurePosixPath(row.file).stem.lower()
        if row.success and row.file not in known:
            found += [(kind, name) for kind in _kinds(row) if (kind, name) in present and (kind, name) not in found]
    return found


def is_retired(row: HistoryRow, present: set[tuple[str, str]]) -> bool:
    """True when the row's file made a routine or trigger that is no longer on the server."""
    name = PurePosixPath(row.file).stem.lower()
    kinds = _kinds(row)
    return bool(kinds) and not any((kind, name) in present for kind in kinds)


def drop(conn, retired: list[tuple[str, str]]) -> None:
    """Drop each retired object."""
    with conn.cursor() as cur:
        for kind, name in retired:
            cur.execute(f"DROP {kind} IF EXISTS {quote_identifier(name)}")
