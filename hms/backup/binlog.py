"""The server's binary log: where a backup's snapshot stands in it, which files the server
still has, and copying them out (the planner's staging and the archive both use `fetch`).

Files are fetched over the client protocol (`mariadb-binlog --read-from-remote-server
--raw`), so this works for any server a ConnectionInfo reaches, local or not, whatever
user owns its data directory. The account needs REPLICATION SLAVE (to read the log) and
BINLOG MONITOR (to list it); the administrative login has both.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pymysql

from .. import dialect as dialects
from ..connection import ConnectionInfo, server_message, session
from ..optionfiles import defaults_file
from ..processes import process_alive
from .binlogfile import Gtid
from .dump import start_tool
from .errors import BackupError
from .signing import PRIVATE_DIR, PRIVATE_FILE

# A binary log file name as the server writes it: <basename>.<6+ digits>, no path.
FILE_NAME = re.compile(r"^(?P<base>[A-Za-z0-9_.-]{1,200})\.(?P<number>\d{6,})$")
GTID = re.compile(r"^(\d{1,10})-(\d{1,10})-(\d{1,20})$")
UNTIL_FORMAT = "%Y-%m-%d %H:%M:%S"
STAGING_PREFIX = "hms-binlog-"


@dataclass(frozen=True)
class Coordinates:
    """Where the binary log stood at a snapshot: the next event's file and byte position, and
    the GTID state (last GTID per domain, comma-separated) of everything before it."""

    file: str
    position: int
    gtid: str

    def as_dict(self) -> dict:
        return {"file": self.file, "position": self.position, "gtid": self.gtid}

    @classmethod
    def from_dict(cls, data) -> "Coordinates | None":
        """Return the coordinates a manifest recorded, None when it recorded none; BackupError if malformed."""
        if data is None:
            return None
        try:
            file, position, gtid = data["file"], data["position"], data["gtid"]
        except (KeyError, TypeError):
            raise BackupError("the manifest's binlog coordinates are incomplete",
                              "Use a backup listed by `hms backup list`") from None
        if not (isinstance(file, str) and FILE_NAME.match(file) and isinstance(position, int) and position >= 4
                and isinstance(gtid, str)):
            raise BackupError("the manifest's binlog coordinates are malformed",
                              "Use a backup listed by `hms backup list`")
        parse_state(gtid)
        return cls(file, position, gtid)


def current(conn) -> Coordinates | None:
    """Return the binary log coordinates of `conn`'s open consistent snapshot, or None when it is off."""
    with conn.cursor() as cur:
        found = dialects.binlog_coordinates(dialects.for_connection(conn), cur)
    return Coordinates(*found) if found else None


def parse_state(text: str) -> dict[int, Gtid]:
    """Return {domain: last GTID} of a GTID state such as '0-1-100,1-2-7'; BackupError if malformed."""
    state: dict[int, Gtid] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        gtid = parse_gtid(part)
        if gtid.domain in state:
            raise BackupError(f"the GTID state '{text}' names domain {gtid.domain} twice",
                              "Give one GTID per domain")
        state[gtid.domain] = gtid
    return state


def parse_gtid(text: str) -> Gtid:
    """Return the GTID `text` (domain-server-sequence, e.g. 0-1-1234); BackupError if malformed."""
    match = GTID.match(text.strip())
    if not match:
        raise BackupError(f"'{text}' is not a GTID", "Write it as domain-server-sequence, e.g. 0-1-1234")
    return Gtid(*(int(n) for n in match.groups()))


def format_state(state: dict[int, Gtid]) -> str:
    return ",".join(str(state[d]) for d in sorted(state))


def file_number(name: str) -> tuple[str, int]:
    """(basename, number) of a binary log file name; BackupError when it is not one."""
    match = FILE_NAME.match(name)
    if not match:
        raise BackupError(f"'{name}' is not a binary log file name", "Expect names like hms-bin.000042")
    return match.group("base"), int(match.group("number"))


def server_logs(conn) -> list[tuple[str, int]]:
    """Return the server's binary log files (name, bytes), oldest first; BackupError when it keeps none."""
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW BINARY LOGS")
            rows = [(row[0], int(row[1])) for row in cur.fetchall()]
    except pymysql.err.MySQLError as exc:
        raise BackupError(f"listing the server's binary logs failed: {server_message(exc)}",
                          "Turn the binary log on (hms server start does) and use an account with "
                          "BINLOG MONITOR") from None
    return rows


def flush(conn) -> None:
    """Close the server's current binary log file and start the next, so the closed one can be archived."""
    try:
        with conn.cursor() as cur:
            cur.execute("FLUSH BINARY LOGS")
    except pymysql.err.MySQLError as exc:
        raise BackupError(f"rotating the binary log failed: {server_message(exc)}",
                          "Use an account with the RELOAD or BINLOG ADMIN privilege") from None


def server_epoch(conn, text: str) -> int:
    """Return the moment "YYYY-MM-DD HH:MM:SS", read in the server's time zone, as Unix seconds.

    The server converts it (UNIX_TIMESTAMP in its own time zone, what NOW() shows), so the
    moment means the same as the times in the database, whatever this machine's zone is.
    """
    try:
        datetime.strptime(text.strip(), UNTIL_FORMAT)
    except ValueError:
        raise BackupError(f"'{text}' is not a moment hms can read",
                          'Write it as "YYYY-MM-DD HH:MM:SS" in the server\'s time zone, e.g. "2025-03-01 10:41:00"'
                          ) from None
    with conn.cursor() as cur:
        cur.execute("SELECT UNIX_TIMESTAMP(%s)", (text.strip(),))
        value = cur.fetchone()[0]
    if value is None:
        raise BackupError(f"'{text}' is outside the range of the server's timestamps",
                          "Give a moment between the backup and now, in the server's time zone")
    return int(value)


def server_now(conn) -> int:
    """The server's clock, Unix seconds."""
    with conn.cursor() as cur:
        cur.execute("SELECT UNIX_TIMESTAMP()")
        return int(cur.fetchone()[0])


def fetch(info: ConnectionInfo, names: list[str], directory: Path) -> list[Path]:
    """Copy the server's binary log files `names` into `directory` (0600 each); return their paths.

    The copy of a file still being written ends at its last complete event.
    """
    if not names:
        return []
    with session(info, database=None) as conn:
        binary = dialects.binlog_binary(dialects.for_connection(conn))
    if binary is None:
        raise BackupError("mariadb-binlog was not found on PATH", "Install the server's client package (mariadb-client)")
    with defaults_file(info) as cnf:
        proc = start_tool(binary, cnf, ["--read-from-remote-server", "--raw", f"--result-file={directory}/", *names],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        _, stderr = proc.communicate()
    paths = [directory / name for name in names]
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path, PRIVATE_FILE)
    message = stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0 or not all(p.is_file() for p in paths):
        first = message.splitlines()[0] if message else f"exit code {proc.returncode}"
        raise BackupError(f"copying the binary log {', '.join(names)} from the server failed: {first}",
                          "Check the files are still listed by SHOW BINARY LOGS and the account has REPLICATION SLAVE")
    return paths


@contextlib.contextmanager
def staging_directory():
    """Yield a private temporary directory for fetched files; removed afterwards (and a killed run's, later)."""
    remove_stale_staging()
    path = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-"))
    os.chmod(path, PRIVATE_DIR)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def remove_stale_staging(directory: Path | None = None) -> list[Path]:
    """Delete staging directories whose process is gone; return what was deleted."""
    removed = []
    for path in Path(directory or tempfile.gettempdir()).glob(f"{STAGING_PREFIX}*"):
        match = re.match(rf"^{STAGING_PREFIX}(\d+)-", path.name)
        with contextlib.suppress(OSError):
            if match and path.is_dir() and not path.is_symlink() and path.stat().st_uid == os.getuid() \
                    and not process_alive(int(match.group(1))):
                shutil.rmtree(path)
                removed.append(path)
    return removed
