"""Unlogged bulk loads: a roll-forward must never cross one.

`hms seed` loads its rows without writing them to the binary log, and ends with one
logged INSERT into `hms_seed_log` whose `logged` column says so (0). A roll-forward
whose range holds such a row would silently miss every row of that load, so the plan
refuses it. The row's values are read from the binary log itself (mariadb-binlog
--verbose decodes that one transaction); which of them is `logged` comes from the
table's definition on the source server.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .. import dialect as dialects
from ..connection import ConnectionInfo, session
from .binlogfile import Group
from .errors import BackupError

TABLE = "hms_seed_log"
COLUMN = "logged"
ROW_START = re.compile(r"^### (INSERT INTO|UPDATE|DELETE FROM) `((?:[^`]|``)+)`\.`((?:[^`]|``)+)`")
VALUE = re.compile(r"^###\s+@(\d+)=(.*)$")
POSITION = ("SELECT ORDINAL_POSITION FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND COLUMN_NAME = %s")


def refuse_unlogged(source: ConnectionInfo | None, groups: list[tuple[Path, Group]]) -> None:
    """Raise BackupError when one of `groups` (transactions writing hms_seed_log) records an unlogged load."""
    positions: dict[str, int] = {}
    for path, group in groups:
        for database, values in _seed_rows(path, group):
            if database not in positions:
                positions[database] = _logged_position(source, database, group)
            if values.get(positions[database], "").strip("'") == "0":
                raise BackupError(f"the binary log between the backup and the moment asked for crosses an unlogged bulk "
                                  f"load (`hms seed` into '{database}', recorded by GTID {group.gtid}): its rows are not "
                                  "in the binary log", "Recover from a backup taken after that load (`hms seed` ends by "
                                  f"taking one), or to a moment before it (--until-gtid of the GTID before {group.gtid})")


def _seed_rows(path: Path, group: Group) -> list[tuple[str, dict[int, str]]]:
    """[(database, {column number: value as mariadb-binlog prints it})] of the new row images in `group`."""
    binary = dialects.binlog_binary(dialects.MARIADB)
    if binary is None:
        raise BackupError("mariadb-binlog was not found on PATH", "Install the server's client package (mariadb-client)")
    result = subprocess.run([binary, "--no-defaults", "--base64-output=decode-rows", "--verbose",
                             f"--start-position={group.start}", f"--stop-position={group.end}", str(path)],
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"reading the seed record at GTID {group.gtid} in {path.name} failed",
                          "Check the binary log file with mariadb-binlog")
    rows: list[tuple[str, dict[int, str]]] = []
    open_row: dict[int, str] | None = None  # the seed row being read
    collecting = False  # inside its SET part (the new image; an UPDATE's WHERE part is the old one)
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        start = ROW_START.match(line)
        if start:
            open_row, collecting = None, False
            if start.group(3) == TABLE and start.group(1) != "DELETE FROM":
                rows.append((start.group(2).replace("``", "`"), {}))
                open_row = rows[-1][1]
        elif line.startswith("### SET"):
            collecting = open_row is not None
        elif line.startswith("### WHERE"):
            collecting = False
        elif collecting and (value := VALUE.match(line)):
            open_row[int(value.group(1))] = value.group(2).split(" /*", 1)[0].strip()
    return rows


def _logged_position(source: ConnectionInfo | None, database: str, group: Group) -> int:
    position = None
    if source is not None:
        with session(source, database=None) as conn, conn.cursor() as cur:
            cur.execute(POSITION, (database, TABLE, COLUMN))
            row = cur.fetchone()
            position = int(row[0]) if row else None
    if position is None:
        raise BackupError(f"the range holds a record of an `hms seed` load (GTID {group.gtid}) whose `{COLUMN}` column "
                          f"cannot be found ({database}.{TABLE} is not on the source server)",
                          "Recover from a backup taken after that load, or to a moment before it")
    return position
