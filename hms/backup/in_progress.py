"""A restore in progress, marked in the database it restores into.

Before the first statement of a dump is replayed, `hms backup restore` writes a one-row
table `hms_restore_in_progress` into the target (which backup, when, from which host and
process) and drops it once the restore has succeeded; a restore that fails drops the whole
database. So a mark that outlives its restore means the restore was killed (kill -9, a
crash, the server lost) and the database holds part of a backup. `hms backup list`, `hms
db status` and the console's DB Tools page show such marks; the next restore into that
name drops the half-restored database first.

Whether a marked restore is still running is told by a named lock its session holds for
the whole run: the lock dies with the session of a killed run, and anyone may test it
(no PROCESS privilege needed to see another account's session).
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import datetime

import pymysql

from ..config import Settings
from ..connection import ConnectionInfo, server_message, session
from ..errors import HmsError
from ..identifiers import quote_identifier, quote_name
from ..login import admin_login
from .manifest import BackupError

MARKER_TABLE = "hms_restore_in_progress"
CREATE_MARKER = """
CREATE TABLE {database}.`hms_restore_in_progress` (
    backup        VARCHAR(1000) NOT NULL,
    sha256        CHAR(64)     NOT NULL,
    started_at    DATETIME     NOT NULL,
    host          VARCHAR(255) NOT NULL,
    pid           INT UNSIGNED NOT NULL,
    safety_backup VARCHAR(1000) NULL
) ENGINE=InnoDB COMMENT='hms backup restore: present while a restore runs or after one was killed'
"""
INSERT_MARKER = ("INSERT INTO {database}.`hms_restore_in_progress` "
                 "VALUES (%s, %s, UTC_TIMESTAMP(), %s, %s, %s)")
READ_MARKER = "SELECT backup, started_at, host, pid, safety_backup FROM {database}.`hms_restore_in_progress` LIMIT 1"
MARKED = "SELECT TABLE_SCHEMA FROM information_schema.TABLES WHERE TABLE_NAME = %s ORDER BY TABLE_SCHEMA"
MARKED_ONE = "SELECT CREATE_TIME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s"
UNKNOWN = "(a backup not yet named: killed while marking)"


@dataclass(frozen=True)
class RestoreMark:
    """A restore into `database` that is running, or was interrupted."""

    database: str
    backup: str
    started_at: datetime
    host: str
    pid: int
    running: bool
    safety_backup: str | None = None

    @property
    def state(self) -> str:
        return "in progress" if self.running else "interrupted"

    def describe(self) -> str:
        """One line for people: what, where, since when, and what to do."""
        when = self.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        who = f"pid {self.pid} on {self.host}"
        if self.running:
            return f"restore in progress into '{self.database}' from {self.backup}, since {when} ({who})"
        text = (f"restore interrupted into '{self.database}' from {self.backup}, started {when} ({who}): "
                f"'{self.database}' holds part of the backup. Run `hms backup restore "
                f"{'PATH' if self.backup == UNKNOWN else self.backup} --into {self.database}` again: "
                "it drops the half-restored database first")
        if self.safety_backup:
            text += f"; its previous contents are in {self.safety_backup}"
        return text

    def as_dict(self) -> dict:
        return {"database": self.database, "backup": self.backup, "state": self.state,
                "started_at": self.started_at.isoformat() + "Z", "host": self.host, "pid": self.pid,
                "safety_backup": self.safety_backup}


def lock_name(database: str) -> str:
    """The named lock a restore into `database` holds while it runs (at most 64 characters)."""
    return "hms_restore_" + hashlib.sha1(database.encode()).hexdigest()[:20]


def lock(conn, database: str) -> None:
    """Take the restore lock of `database` on `conn` until the session ends; refuse when a restore holds it."""
    with conn.cursor() as cur:
        cur.execute("SELECT GET_LOCK(%s, 0)", (lock_name(database),))
        if cur.fetchone()[0] != 1:
            found = read(conn, database)
            since = f" ({found.describe()})" if found else ""
            raise BackupError(f"another restore into '{database}' is running{since}",
                              "Wait for it to finish, or restore into another name")


def mark(conn, database: str, backup: str, sha256: str, safety_backup: str | None = None) -> None:
    """Write the in-progress mark into `database` (before the first restored statement).

    `backup` and `safety_backup` are the files' paths, so the retry's command can be shown.
    """
    target = quote_identifier(database)
    try:
        with conn.cursor() as cur:
            cur.execute(CREATE_MARKER.format(database=target))
            cur.execute(INSERT_MARKER.format(database=target),
                        (backup[:1000], sha256, socket.gethostname()[:255], os.getpid(),
                         safety_backup[:1000] if safety_backup else None))
    except pymysql.err.MySQLError as exc:
        raise BackupError(f"marking the restore into '{database}' as in progress failed: {server_message(exc)}",
                          "Use an account that may create tables in it (e.g. the hms_dba role)") from None


def unmark(conn, database: str) -> None:
    """Remove the mark: the restore into `database` has succeeded."""
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {quote_identifier(database)}.`{MARKER_TABLE}`")


def read(conn, database: str) -> RestoreMark | None:
    """The mark in `database`, or None when it has none (or does not exist)."""
    with conn.cursor() as cur:
        cur.execute(MARKED_ONE, (database, MARKER_TABLE))
        table = cur.fetchone()
        if table is None:
            return None
        try:
            cur.execute(READ_MARKER.format(database=quote_name(database)))
            row = cur.fetchone()
        except pymysql.err.MySQLError:
            return None  # dropped meanwhile, or not readable by this account
        if row is None:  # killed between creating the table and writing its row
            row = (UNKNOWN, table[0] or datetime(1970, 1, 1), "?", 0, None)
        cur.execute("SELECT IS_USED_LOCK(%s)", (lock_name(database),))
        holder = cur.fetchone()[0]
    backup, started_at, host, pid, safety = row
    running = holder is not None and holder != conn.thread_id()
    return RestoreMark(database, backup, started_at, host, int(pid), running, safety)


def marks(conn) -> list[RestoreMark]:
    """Every restore on the server that is running or was interrupted, by database name."""
    with conn.cursor() as cur:
        cur.execute(MARKED, (MARKER_TABLE,))
        names = [row[0] for row in cur.fetchall()]
    return [found for found in (read(conn, name) for name in names) if found is not None]


def restores_on(info: ConnectionInfo, database: str | None = None) -> list[RestoreMark]:
    """The marks on `info`'s server (only `database`'s when given), through a session of its own."""
    with session(info, database=None) as conn:
        if database is not None:
            found = read(conn, database)
            return [found] if found else []
        return marks(conn)


def restore_marks(settings: Settings, database: str | None = None) -> list[RestoreMark]:
    """As restores_on, on the configured server as the tools' login; none when it cannot be asked.

    For listings that work without a server (`hms backup list`): a server that is down or
    refuses has no restore to report.
    """
    try:
        return restores_on(admin_login(settings), database)
    except (HmsError, pymysql.err.MySQLError):
        return []
