"""Rolling a restored copy forward with the binary log: the plan, checked before anything is
written, and its application through mariadb-binlog and the mariadb client.

`plan()` finds every binary log file from a backup's coordinates to the target moment or
GTID, on the server or in the archive (archive.py), copies the server's into a private
staging folder (so a purge during a long restore changes nothing), and reads them all
(binlogfile.py): every event checksum, the GTID sequence without a gap (files that
follow each other, each file's starting GTID list equal to where the previous one
ended, sequence numbers +1 per domain), the backup's coordinates consistent with the
log, the target present, and no unlogged bulk load (seedlog.py) in between. It cuts
the log at transaction boundaries: `--until T` keeps the transactions of the database
that committed before T (the same second excluded), `--until-gtid G` keeps up to and
including G.

`apply()` runs `mariadb-binlog --start-position --stop-position --database --rewrite-db`
over those files into the `mariadb` client logged in as the given account, through
replay_stream.ReplayGuard. Usable against any MariaDB server: the lead's physical
restores call it with their own target.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import dialect as dialects
from ..connection import ConnectionInfo, session
from ..optionfiles import defaults_file
from . import archive as archives
from . import binlog, binlogfile, seedlog
from .binlog import Coordinates
from .binlogfile import Gtid
from .dump import start_tool
from .errors import BackupError
from .replay_stream import ReplayGuard

CLIENT_ERROR = re.compile(r"ERROR (?P<code>\d+) \((?P<state>\w+)\)(?: at line \d+)?: (?P<message>.*)")


@dataclass
class Segment:
    """One binary log file of a plan, and where its bytes come from."""

    name: str
    path: Path
    source: str  # "server" (staged copy) or "archive"


@dataclass
class Plan:
    """What a roll-forward will apply; `close()` (or a with block) removes the staged copies."""

    start: Coordinates
    database: str | None
    segments: list[Segment] = field(default_factory=list)
    stop_position: int | None = None  # in the last segment; None: to its end
    groups: int = 0  # event groups in the range (every database): the progress total
    transactions: int = 0  # of them, those of `database`: what is applied
    end_state: dict[int, Gtid] = field(default_factory=dict)  # GTID state after the range
    last_gtid: Gtid | None = None  # the last transaction of `database` applied
    last_time: int | None = None  # when it committed (Unix seconds)
    reason: str = ""  # why the range ends where it does
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, repr=False)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> "Plan":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class ApplyResult:
    """What `apply()` did."""

    transactions: int = 0  # GTIDs that went through the guard (every database's, empty ones included)
    skipped: list[str] = field(default_factory=list)  # account statements left out
    last_gtid: str | None = None


def plan(source: ConnectionInfo | None, start: Coordinates, *, until_time: int | None = None,
         until_gtid: Gtid | None = None, database: str | None = None, backup_dir: Path | None = None,
         key_file: Path | None = None) -> Plan:
    """Return the checked plan of a roll-forward from `start` to `until_time` (Unix seconds, exclusive)
    or `until_gtid` (inclusive), or to the end of the log; BackupError before anything is written.

    `source` is the server whose binary log it is (None: the archive alone, e.g. after a
    disk loss); `database` limits the roll-forward to one database (None: all of them);
    `backup_dir` holds the archive.
    """
    if until_time is not None and until_gtid is not None:
        raise BackupError("--until and --until-gtid were both given", "Give one moment: a time or a GTID")
    start_state = binlog.parse_state(start.gtid)
    if until_gtid is not None:
        _check_gtid_after(until_gtid, start_state, start)
    archive = archives.load(backup_dir, key_file) if backup_dir is not None else None
    on_server, now = _server_state(source)
    result = Plan(start=start, database=database)
    try:
        staging = result._stack.enter_context(binlog.staging_directory())
        walk = _Walk(result, start_state, until_time, until_gtid)
        base, number = binlog.file_number(start.file)
        last = _last_number(base, on_server, archive)
        while not walk.done and number <= last:
            name = f"{base}.{number:06d}"
            segment = _segment(name, source, on_server, archive, staging, start)
            result.segments.append(segment)
            walk.file(segment, start.position if number == binlog.file_number(start.file)[1] else None)
            number += 1
        if not result.segments:
            raise _missing(start.file, start)
        if not walk.done:
            _check_end(walk, until_time, until_gtid, source is not None, now)
        seedlog.refuse_unlogged(source, walk.seed_groups)
    except BaseException:
        result.close()
        raise
    return result


def apply(plan: Plan, target: ConnectionInfo, rename: dict[str, str] | None = None, *,
          progress: Callable[[int], None] | None = None, preserve_gtids: bool = False) -> ApplyResult:
    """Replay `plan` into the server of `target`, logged in as `target`; return what went through.

    `rename` ({source database: target database}) rewrites the database (the plan must be
    for that one database). `preserve_gtids` keeps the original GTIDs (replaying a whole
    server's history into a fresh one); otherwise the server gives the transactions new
    ones. Raises BackupError on any failure, after which the caller removes what it made
    (what was applied is not undone here).
    """
    if rename and (plan.database is None or set(rename) != {plan.database}):
        raise BackupError("a rename needs a plan for the one database it renames", "Plan with database=")
    if plan.transactions == 0:
        return ApplyResult()
    with session(target, database=None) as conn:
        dialect = dialects.for_connection(conn)
    if dialects.binlog_replay_privilege(dialect) is None:
        raise BackupError(*dialects.ROLLFORWARD_ON_MYSQL)
    tool, client = dialects.binlog_binary(dialect), dialect.client_binary()
    if tool is None or client is None:
        raise BackupError("mariadb-binlog or the mariadb client was not found on PATH",
                          "Install the server's client package (mariadb-client)")
    target_db = (rename or {}).get(plan.database, plan.database)
    args = ["--no-defaults", "--skip-annotate-row-events", f"--start-position={plan.start.position}"]
    if plan.stop_position is not None:
        args.append(f"--stop-position={plan.stop_position}")
    if plan.database is not None:
        args.append(f"--database={plan.database}")  # filtered on the original name, then renamed
    if target_db != plan.database:
        args.append(f"--rewrite-db={plan.database}->{target_db}")
    args += [str(s.path) for s in plan.segments]
    client_args = ["--batch", "--binary-mode", "--local-infile=0", "--max-allowed-packet=1G"]
    if target_db:
        client_args.append(f"--database={target_db}")
    with defaults_file(target) as cnf:
        reader = subprocess.Popen([tool, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        try:
            proc = start_tool(client, cnf, client_args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        except BaseException:
            reader.kill()
            reader.wait()
            raise
        guard = ReplayGuard(reader.stdout, proc.stdin, databases={target_db} if target_db else None,
                            preserve_gtids=preserve_gtids, progress=progress)
        guard.start()
        reader_err = _drain(reader.stderr)
        client_err = proc.stderr.read().decode("utf-8", "replace")
        guard.join()
        client_code, reader_code = proc.wait(), reader.wait()
        reader_err.join()
        for stream in (proc.stderr, reader.stdout, reader.stderr):
            stream.close()
    if guard.error is not None:
        raise guard.error
    if client_code != 0 or client_err.strip():
        raise BackupError(_client_failure(client_code, client_err, guard.last_gtid),
                          "Nothing was kept; fix the cause (see the statement above) and try again")
    errors = [line for line in reader_err.text.splitlines() if line.strip() and "WARNING" not in line.upper()]
    if reader_code != 0 or errors:
        first = errors[0] if errors else f"exit code {reader_code}"
        raise BackupError(f"mariadb-binlog failed: {first}", "Nothing was kept; check the binary log files")
    return ApplyResult(transactions=guard.transactions, skipped=guard.skipped, last_gtid=guard.last_gtid)


class _Walk:
    """Reads the plan's files in order, checking the GTID sequence and finding where to cut."""

    def __init__(self, plan: Plan, start_state: dict[int, Gtid], until_time, until_gtid):
        self.plan, self.until_time, self.until_gtid = plan, until_time, until_gtid
        self.state = dict(start_state)
        self.expected_start = dict(start_state)
        self.done = False
        self.previous: str | None = None
        self.last_time: int | None = None  # of any database's transaction: how far the log reaches
        self.last_gtid: Gtid | None = None
        self.seed_groups: list[tuple[Path, binlogfile.Group]] = []

    def file(self, segment: Segment, start_position: int | None) -> None:
        header = binlogfile.read_header(segment.path)
        if start_position is None:
            self._check_continues(segment.name, header.start_state)
            file_state = None
        else:
            file_state = dict(header.start_state)
        for group in binlogfile.scan(segment.path):
            if file_state is not None:  # the backup's file: find where its snapshot stood
                if group.start < start_position:
                    if group.end > start_position:
                        raise _inconsistent(self.plan.start, "its position falls inside a transaction")
                    file_state[group.gtid.domain] = group.gtid
                    continue
                self._check_start(file_state)
                file_state = None
            if self._take(segment, group):
                self.done = True
                return
        if file_state is not None:
            self._check_start(file_state)
        self.previous = segment.name

    def _check_start(self, file_state: dict[int, Gtid]) -> None:
        if _seqs(file_state) != _seqs(self.expected_start):
            raise _inconsistent(self.plan.start, f"the log has GTID state {binlog.format_state(file_state) or 'empty'} "
                                                 "there")

    def _check_continues(self, name: str, start_state: dict[int, Gtid]) -> None:
        if _seqs(start_state) != _seqs(self.state):
            raise BackupError(f"the GTID sequence has a gap: {name} starts after GTID state "
                              f"{binlog.format_state(start_state) or 'empty'}, but {self.previous} ended at "
                              f"{binlog.format_state(self.state) or 'empty'}",
                              "A binary log file is missing or was replaced; recover only up to the end of "
                              f"{self.previous} (--until-gtid)")

    def _take(self, segment: Segment, group: binlogfile.Group) -> bool:
        """Account for one group after the start; True when the range ends before or with it."""
        plan, gtid = self.plan, group.gtid
        ours = plan.database is None or any(db == plan.database for db, _ in group.tables) \
            or plan.database in group.databases
        if not group.complete:
            return self._cut(group.start, "the end of the binary log (its last transaction is still being written)")
        if self.until_time is not None and ours and group.time >= self.until_time:
            return self._cut(group.start, "the moment asked for")
        previous = self.state.get(gtid.domain)
        if previous is not None and gtid.seq != previous.seq + 1:
            raise BackupError(f"the GTID sequence has a gap in {segment.name}: {previous} is followed by {gtid}",
                              "Transactions are missing from this binary log; recover only up to "
                              f"--until-gtid {previous}")
        target = self.until_gtid
        if target is not None and gtid.domain == target.domain and gtid.seq > target.seq:
            raise BackupError(f"GTID {target} is not in the binary log after the backup (the log goes from {previous} "
                              f"to {gtid} in domain {gtid.domain})", "Check the GTID (domain-server-sequence)")
        self.state[gtid.domain] = gtid
        self.last_time, self.last_gtid = max(self.last_time or 0, group.time), gtid
        plan.groups += 1
        plan.end_state = dict(self.state)
        if ours:
            plan.transactions += 1
            plan.last_gtid, plan.last_time = gtid, group.time
        if any(table == seedlog.TABLE and (plan.database is None or db == plan.database) for db, table in group.tables):
            self.seed_groups.append((segment.path, group))
        if target is not None and gtid == target:
            return self._cut(group.end, "the GTID asked for")
        return False

    def _cut(self, position: int, reason: str) -> bool:
        self.plan.stop_position, self.plan.reason = position, reason
        return True


def _check_end(walk: _Walk, until_time, until_gtid, server: bool, now: int | None) -> None:
    """The log ended before the target: fine for a moment the log already covers, an error otherwise."""
    ends = binlog.format_state(walk.state) or walk.plan.start.gtid or "the backup's position"
    if until_gtid is not None:
        raise BackupError(f"GTID {until_gtid} is not in the binary log yet (it ends at GTID state {ends})",
                          "Check the GTID, or give one the log holds")
    if until_time is not None and server and now is not None and until_time > now:
        raise BackupError("the moment asked for is in the future (by the server's clock)",
                          "Give a moment in the past, in the server's time zone")
    if until_time is not None and not server and until_time > (walk.last_time or 0):
        # Without the server, nothing says what happened between the archive's end and then.
        raise BackupError(f"the archived binary log ends (GTID state {ends}) before the moment asked for",
                          "Start the server so its binary log is read too, or recover to the archive's end with "
                          f"--until-gtid {walk.last_gtid or ends}")
    walk.plan.reason = "the end of the binary log"


def _server_state(source: ConnectionInfo | None) -> tuple[dict[str, int], int | None]:
    """({file: bytes} the source server still has, its clock), or empty when there is no source."""
    if source is None:
        return {}, None
    with session(source, database=None) as conn:
        if dialects.binlog_replay_privilege(dialects.for_connection(conn)) is None:
            raise BackupError(*dialects.ROLLFORWARD_ON_MYSQL)
        return dict(binlog.server_logs(conn)), binlog.server_now(conn)


def _last_number(base: str, on_server: dict[str, int], archive) -> int:
    names = list(on_server) + (list(archive.files) if archive is not None else [])
    numbers = [n for b, n in map(binlog.file_number, names) if b == base]
    return max(numbers, default=-1)


def _segment(name: str, source, on_server: dict[str, int], archive, staging: Path, start: Coordinates) -> Segment:
    """The file `name` from the archive (checked against its signed index; an encrypted copy decrypted
    into the staging folder) or staged from the server."""
    if archive is not None and name in archive.files:
        return Segment(name, archive.staged(name, staging), "archive")
    if name in on_server:
        (path,) = binlog.fetch(source, [name], staging)
        return Segment(name, path, "server")
    raise _missing(name, start)


def _missing(name: str, start: Coordinates) -> BackupError:
    return BackupError(f"the binary log file {name}, needed to roll forward from {start.file}:{start.position}, is "
                       "neither on the server (purged) nor in the archive",
                       "Nothing was written; recover with a later backup, or put the file back in "
                       "$HMS_BACKUP_DIR/binlogs (`hms backup archive-binlogs` keeps them there)")


def _check_gtid_after(target: Gtid, start_state: dict[int, Gtid], start: Coordinates) -> None:
    known = start_state.get(target.domain)
    if known is not None and target.seq <= known.seq:
        raise BackupError(f"GTID {target} is already in the backup (made at GTID state {start.gtid})",
                          "Give a GTID after the backup, or restore without --until-gtid")


def _inconsistent(start: Coordinates, detail: str) -> BackupError:
    return BackupError(f"the backup's binary log coordinates ({start.file}:{start.position}, GTID {start.gtid}) do "
                       f"not match the binary log: {detail}",
                       "The server's binary log was reset or replaced since the backup; recover with a later backup")


def _seqs(state: dict[int, Gtid]) -> dict[int, int]:
    return {domain: gtid.seq for domain, gtid in state.items()}


def _client_failure(code: int, stderr: str, last_gtid: str | None) -> str:
    near = f" (near GTID {last_gtid})" if last_gtid else ""
    for line in stderr.splitlines():
        match = CLIENT_ERROR.search(line)
        if match:
            return (f"the roll-forward failed{near}: {match.group('message').strip()} (error {match.group('code')})")
    first = next((line for line in stderr.splitlines() if line.strip()), f"exit code {code}")
    return f"the roll-forward failed{near}: {first.strip()}"


class _drain:
    """Reads a pipe to its end in a thread (so neither tool blocks on a full stderr)."""

    def __init__(self, pipe):
        self.chunks: list[bytes] = []
        self.thread = threading.Thread(target=lambda: self.chunks.append(pipe.read()), daemon=True)
        self.thread.start()

    def join(self) -> None:
        self.thread.join()

    @property
    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", "replace")
