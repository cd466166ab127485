"""Who read what: the server's access audit (MariaDB's server_audit plugin), summarised.

The embedded server records, into $HMS_HOME/audit/server_audit.log (rotated, written by
the server account only), every login and every table each statement read or wrote, per
account: CONNECT and TABLE events, never a statement's text, so neither a password nor a
patient's name in a WHERE clause is ever written there (hms/dialect.py:
access_audit_options). This module finds the files through the server
(@@server_audit_file_path, so it works for any server on this machine) and summarises
them per account and table: how many statements read or wrote it, first and last time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator

import pymysql

from .errors import ConfigError

TABLE_OPERATIONS = ("READ", "WRITE")
CONNECT_OPERATIONS = ("CONNECT", "FAILED_CONNECT")
# The schemas the server reads for itself on every login and statement: not health data.
SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")


@dataclass
class Access:
    """One account's use of one table: statements that read it, that wrote it, first and last."""

    account: str
    table: str
    reads: int = 0
    writes: int = 0
    first: datetime | None = None
    last: datetime | None = None
    _statements: set = field(default_factory=set, repr=False)

    @property
    def statements(self) -> int:
        return len(self._statements)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("_statements")
        data["statements"] = self.statements
        data["first"] = self.first.isoformat(sep=" ") if self.first else None
        data["last"] = self.last.isoformat(sep=" ") if self.last else None
        return data


@dataclass(frozen=True)
class Event:
    """One line of the audit file."""

    at: datetime
    user: str
    client: str
    connection: int
    query: int
    operation: str
    database: str
    table: str


def log_files(conn) -> list[Path]:
    """The audit file and its rotations, oldest first; ConfigError when the plugin is off."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT @@global.server_audit_logging, @@global.server_audit_file_path, "
                        "@@global.server_audit_file_rotations, @@datadir")
            logging, path, rotations, datadir = cur.fetchone()
    except pymysql.err.MySQLError:
        raise ConfigError("the server records no access audit (MariaDB's server_audit plugin is not loaded)",
                          "Start the embedded server with `hms server start` (it loads it), or add "
                          "plugin_load_add = server_audit to the server's configuration; MySQL Community "
                          "has no audit plugin (MySQL Enterprise Audit is the alternative)") from None
    if not logging or str(logging).upper() not in ("1", "ON"):
        raise ConfigError("the server's access audit is switched off (server_audit_logging = OFF)",
                          "Start the embedded server with `hms server start --access-audit`")
    base = Path(path if Path(path).is_absolute() else Path(datadir) / path)
    files = [base.with_name(f"{base.name}.{n}") for n in range(int(rotations), 0, -1)] + [base]
    found = [f for f in files if f.exists()]
    if not found:
        raise ConfigError(f"the access audit file {base} cannot be found or read here",
                          "Run this on the server's machine as the user that started the server")
    return found


def events(paths: Iterable[Path], *, since: datetime | None = None,
           tail_bytes: int | None = None) -> Iterator[Event]:
    """The audit files' login and table events, in file order.

    `since`: files last written before it are skipped unread. `tail_bytes`: read only the
    newest that many bytes of all the files together (a page view's bound)."""
    paths = [p for p in paths if since is None or datetime.fromtimestamp(p.stat().st_mtime) >= since]
    budget = tail_bytes
    chosen: list[tuple[Path, int]] = []
    for path in reversed(paths):
        size = path.stat().st_size
        if budget is None:
            chosen.append((path, 0))
            continue
        if budget <= 0:
            break
        chosen.append((path, max(0, size - budget)))
        budget -= size
    for path, offset in reversed(chosen):
        try:
            handle = path.open("r", encoding="utf-8", errors="replace")
        except PermissionError:
            raise ConfigError(f"{path} is not readable by this user",
                              "Run this as the user that started the server (or root)") from None
        with handle:
            if offset:
                handle.seek(offset)
                handle.readline()  # the rest of a line cut by the offset
            for line in handle:
                event = parse(line)
                if event is not None:
                    yield event


def parse(line: str) -> Event | None:
    """One line: `time,serverhost,user,host,connection,query,operation,database,object,retcode`."""
    parts = line.rstrip("\n").split(",")
    if len(parts) < 9 or parts[6] not in TABLE_OPERATIONS + CONNECT_OPERATIONS:
        return None
    try:
        at = datetime.strptime(parts[0], "%Y%m%d %H:%M:%S")
        connection, query = int(parts[4]), int(parts[5])
    except ValueError:
        return None
    return Event(at=at, user=parts[2], client=parts[3], connection=connection, query=query,
                 operation=parts[6], database=parts[7], table=",".join(parts[8:-1]) if len(parts) > 9 else parts[8])


def summarise(items: Iterable[Event], *, account: str | None = None, table: str | None = None,
              since: datetime | None = None, include_system: bool = False) -> list[Access]:
    """Per account and table: statements that read and wrote it, first and last; most used first.

    `table` matches `name` or `database.name`; `account` the user name.
    """
    found: dict[tuple[str, str], Access] = defaultdict(lambda: Access("", ""))
    for event in items:
        if event.operation not in TABLE_OPERATIONS:
            continue
        if not include_system and event.database.lower() in SYSTEM_SCHEMAS:
            continue
        if since and event.at < since:
            continue
        if account and event.user != account:
            continue
        qualified = f"{event.database}.{event.table}"
        if table and table not in (event.table, qualified):
            continue
        access = found[(event.user, qualified)]
        access.account, access.table = event.user, qualified
        statement = (event.connection, event.query)
        if statement not in access._statements:
            access._statements.add(statement)
            if event.operation == "READ":
                access.reads += 1
            else:
                access.writes += 1
        access.first = min(access.first or event.at, event.at)
        access.last = max(access.last or event.at, event.at)
    return sorted(found.values(), key=lambda a: (-a.statements, a.account, a.table))


def logins(items: Iterable[Event], *, account: str | None = None, since: datetime | None = None) -> dict[str, dict]:
    """Per account: successful and failed logins."""
    counts: dict[str, dict] = defaultdict(lambda: {"logins": 0, "failed": 0})
    for event in items:
        if event.operation not in CONNECT_OPERATIONS or (since and event.at < since):
            continue
        if account and event.user != account:
            continue
        counts[event.user]["failed" if event.operation == "FAILED_CONNECT" else "logins"] += 1
    return dict(counts)


def parse_since(text: str) -> datetime:
    """--since: a date (2024-05-01) or a date and time (2024-05-01 13:00)."""
    for pattern in ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ConfigError(f"--since {text!r} is not a date", "Use YYYY-MM-DD or 'YYYY-MM-DD HH:MM'")
