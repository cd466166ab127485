"""Point-in-time recovery: a backup restored, then rolled forward with the binary log.

`hms backup restore PATH --into NAME --until T | --until-gtid G` (logical or physical
backups): the backup restored into a new database as usual, then rolled forward with the
source database's transactions from the backup's binlog coordinates to that moment,
renamed into NAME, on the running server. The live database is never touched.

`hms backup restore PATH --home DIR --until ...` (physical backups, disaster recovery):
the backup made into a new server home, then the whole server's transactions replayed
into it with their original GTIDs, from the old server's binary log when it still
answers, else from the archive alone.

Order: every check and the whole roll-forward plan (files present, intact, without a
GTID gap or an unlogged load) come first, before NAME is created; a failure after that
drops NAME. The transactions are replayed as NAME's restore account, holding NAME's
privileges plus BINLOG REPLAY for the duration of the replay only. With --home the plan
is made while the backup's files are copied and checked (the new home is nobody's yet),
and complete before its server first starts; a plan that fails removes the home.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from .. import dialect as dialects
from ..connection import ConnectionInfo, session
from ..databases import database_exists, drop_database
from ..identifiers import check_database_name
from . import binlog, rollforward
from .errors import BackupError
from .manifest import is_physical_path, open_backup
from .restore import RestoreResult, restore_backup
from .restore_account import binlog_replay, restore_account, settle


@dataclass
class PointInTimeResult:
    """What a point-in-time restore did."""

    restore: RestoreResult
    plan: rollforward.Plan
    applied: rollforward.ApplyResult


def restore_until(info: ConnectionInfo, path: Path | str, into: str, *, until: str | None = None,
                  until_gtid: str | None = None, backup_dir: Path | None = None, key_file: Path | None = None,
                  trust_unsigned: bool = False, allow_definer_objects: bool = False,
                  progress: Callable[[int], None] | None = None,
                  on_planned: Callable[[rollforward.Plan], Callable[[int], None] | None] | None = None
                  ) -> PointInTimeResult:
    """Restore logical backup `path` into new database `into` as it was at `until` / after `until_gtid`.

    `until` is "YYYY-MM-DD HH:MM:SS" in the server's time zone: transactions of the
    database that committed before that second are applied, none from it on.
    `until_gtid` (domain-server-sequence) is applied with everything before it.
    `progress` gets the restore's bytes; `on_planned` gets the plan before anything is
    written and may return a callback for the number of transactions replayed.
    """
    _one_moment(until, until_gtid)
    check_database_name(into)
    target_gtid = binlog.parse_gtid(until_gtid) if until_gtid is not None else None
    backup = _open(path, key_file, trust_unsigned)
    manifest = backup.manifest
    physical = (getattr(manifest, "kind", "logical") or "logical") == "physical"
    start = _start(backup)
    with session(info, database=None) as conn:
        if dialects.binlog_replay_privilege(dialects.for_connection(conn)) is None:
            raise BackupError(*dialects.ROLLFORWARD_ON_MYSQL)
        if database_exists(conn, into):
            raise BackupError(f"database '{into}' exists", "A point-in-time restore makes a new database: pick a new name")
        until_time = _until_epoch(conn, until, manifest.created_at, backup.name) if until is not None else None
    with rollforward.plan(info, start, until_time=until_time, until_gtid=target_gtid, database=manifest.database,
                          backup_dir=backup_dir, key_file=key_file) as planned:
        count = on_planned(planned) if on_planned else None
        if physical:
            from .physical_restore import restore_physical_into

            restored = restore_physical_into(info, backup.path, into, progress=progress, key_file=key_file,
                                             trust_unsigned=trust_unsigned,
                                             allow_definer_objects=allow_definer_objects)
        else:
            restored = restore_backup(info, backup.path, into, progress=progress, key_file=key_file,
                                      trust_unsigned=trust_unsigned, allow_definer_objects=allow_definer_objects)
        try:
            applied = roll_forward_into(info, planned, into, count, allow_definer_objects)
        except BaseException:
            with session(info, database=None) as conn:
                drop_database(conn, into)
            raise
    return PointInTimeResult(restore=restored, plan=planned, applied=applied)


def restore_home_until(source: ConnectionInfo | None, path: Path | str, home: Path | str, *,
                       until: str | None = None, until_gtid: str | None = None, backup_dir: Path | None = None,
                       key_file: Path | None = None, trust_unsigned: bool = False,
                       progress: Callable[[int], None] | None = None, profile: str = "bulk",
                       on_planned: Callable[[rollforward.Plan], Callable[[int], None] | None] | None = None):
    """Make `home` a server home from physical backup `path`, rolled forward to `until` / `until_gtid`.

    `source` is the old server, when it still answers: its binary log is read (and its
    time zone reads `until`); None plans from the archive in `backup_dir` alone, `until`
    then read in this machine's time zone. The plan is made while the backup is copied and
    checked before the new server first starts; a plan that fails stops the restore and
    removes the home. Returns (HomeResult, Plan, ApplyResult).
    """
    from .home_restore import restore_home

    _one_moment(until, until_gtid)
    target_gtid = binlog.parse_gtid(until_gtid) if until_gtid is not None else None
    backup = _open(path, key_file, trust_unsigned)
    if (getattr(backup.manifest, "kind", "logical") or "logical") != "physical":
        raise BackupError(f"{backup.name} is a logical backup; --home needs a physical one",
                          "Restore a logical backup with --into NAME")
    start = _start(backup)
    until_time = None
    if until is not None:
        if source is not None:
            with session(source, database=None) as conn:
                until_time = _until_epoch(conn, until, backup.manifest.created_at, backup.name)
        else:
            until_time = _local_epoch(until, backup.manifest.created_at, backup.name)
    applied: list[rollforward.ApplyResult] = []
    counted: list = []
    # The plan reads every binary log event while the backup's files are copied and hashed:
    # it is complete and checked before the new server first starts, and a plan that fails
    # stops the copy at once (the home is removed).
    planning = _Planning(lambda: rollforward.plan(source, start, until_time=until_time, until_gtid=target_gtid,
                                                  database=None, backup_dir=backup_dir, key_file=key_file))
    planning.start()
    try:
        def watched(n: int) -> None:
            planning.check()
            if progress:
                progress(n)

        def planned_before_start() -> None:
            counted.append(on_planned(planning.result()) if on_planned else None)

        def roll_forward(server, _coordinates) -> None:
            applied.append(rollforward.apply(planning.result(), server.connection_info(), progress=counted[0],
                                             preserve_gtids=True))

        made = restore_home(backup.path, home, key_file=key_file, trust_unsigned=trust_unsigned,
                            roll_forward=roll_forward, progress=watched, profile=profile,
                            before_start=planned_before_start)
    finally:
        planning.close()
    return made, planning.plan, applied[0] if applied else rollforward.ApplyResult()


class _Planning(threading.Thread):
    """A roll-forward plan made in the background; `result()` waits for it (raising its error)."""

    def __init__(self, make: Callable[[], rollforward.Plan]):
        super().__init__(name="hms-rollforward-plan", daemon=True)
        self._make = make
        self.plan: rollforward.Plan | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.plan = self._make()
        except BaseException as exc:  # handed to the thread that waits for the plan
            self.error = exc

    def check(self) -> None:
        """Raise the plan's error now if planning has failed already."""
        if self.error is not None:
            raise self.error

    def result(self) -> rollforward.Plan:
        self.join()
        self.check()
        return self.plan

    def close(self) -> None:
        """Wait for the plan, then remove its staged copies."""
        self.join()
        if self.plan is not None:
            self.plan.close()


def _open(path: Path | str, key_file: Path | None, trust_unsigned: bool):
    """The backup at `path`, logical (a file) or physical (a directory), authenticated."""
    if is_physical_path(Path(path)):
        from .physical_chain import open_physical

        return open_physical(path, key_file=key_file, trust_unsigned=trust_unsigned)
    return open_backup(path, key_file=key_file, trust_unsigned=trust_unsigned)


def _one_moment(until: str | None, until_gtid: str | None) -> None:
    """Refuse both moments at once, or none."""
    if until is not None and until_gtid is not None:
        raise BackupError("--until and --until-gtid were both given", "Give one moment: a time or a GTID")
    if until is None and until_gtid is None:
        raise BackupError("no moment to recover to", "Give --until \"YYYY-MM-DD HH:MM:SS\" or --until-gtid GTID")


def _start(backup) -> binlog.Coordinates:
    start = binlog.Coordinates.from_dict(backup.manifest.binlog)
    if start is None:
        raise BackupError(f"{backup.name} records no binary log position (made before hms recorded one, or with the "
                          "binary log off), so it cannot be rolled forward", "Use a newer backup")
    return start


def _local_epoch(until: str, created_at: str, name: str) -> int:
    """`until` read in this machine's time zone (no server to ask), as Unix seconds; not before the backup."""
    try:
        moment = int(datetime.strptime(until.strip(), binlog.UNTIL_FORMAT).timestamp())
    except ValueError:
        raise BackupError(f"'{until}' is not a moment hms can read",
                          'Write it as "YYYY-MM-DD HH:MM:SS", e.g. "2025-03-01 10:41:00"') from None
    if moment < int(datetime.fromisoformat(created_at).timestamp()):
        raise BackupError(f"--until {until} is before {name} was made", "Give a later moment, or an older backup")
    return moment


def roll_forward_into(info: ConnectionInfo, planned: rollforward.Plan, into: str, progress=None,
                      allow_definer_objects: bool = False) -> rollforward.ApplyResult:
    """Replay `planned` (one database's) into existing database `into` as its restore account; return what went in.

    The account holds `into`'s privileges plus BINLOG REPLAY for the replay only. Definer-rights
    objects the replay created that sql/ does not define are refused, as restore does. Any
    restore path that made `into` (logical here, physical --into) rolls forward through this;
    on failure the caller drops `into`.
    """
    with session(info, database=None) as conn:
        privilege = dialects.binlog_replay_privilege(dialects.for_connection(conn))
        with restore_account(conn, info, into) as login:
            with binlog_replay(conn, login, privilege):
                applied = rollforward.apply(planned, login, {planned.database: into}, progress=progress)
            foreign = settle(conn, login, into)
    if foreign and not allow_definer_objects:
        raise BackupError("the roll-forward created definer-rights objects that sql/ does not define: "
                          + ", ".join(foreign) + "; nothing was kept",
                          "Check what they do; if you trust them, restore with --allow-definer-objects")
    return applied


def _until_epoch(conn, until: str, created_at: str, name: str) -> int:
    """The moment `until` as Unix seconds; BackupError when it is before the backup was made."""
    moment = binlog.server_epoch(conn, until)
    made = int(datetime.fromisoformat(created_at).timestamp())
    if moment < made:
        with conn.cursor() as cur:
            cur.execute("SELECT FROM_UNIXTIME(%s)", (made,))
            local = cur.fetchone()[0]
        raise BackupError(f"--until {until} is before {name} was made ({local} in the server's time zone)",
                          "Give a later moment, or restore an older backup")
    return moment
