"""How the server is doing, in one look: `hms server health` and the console's health page.

Read with the administrative login (PROCESS, REPLICATION CLIENT / BINLOG MONITOR): uptime,
version, connections, statements running longer than a threshold, the InnoDB buffer pool's
hit rate, disk free under the data directory and the backup folder, the binary log's size
and retention, replicas' lag (hms/replication) and the Galera state (hms/cluster) where
those exist, and the age of the newest verified backup. Each finding past its threshold
becomes one warning line saying what to do; `warnings` empty means healthy.

Ending a session (`kill_session`) goes through the console schema's definer procedure
`session_kill`, which refuses root, hms_* and system sessions, so the service account
needs no PROCESS or CONNECTION_ADMIN of its own.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pymysql

from .connection import ConnectionInfo, database_error, server_message, session
from .errors import DatabaseError
from .identifiers import quote_identifier

LONG_STATEMENT_SECONDS = 10
BACKUP_MAX_AGE_HOURS = 26.0        # a daily backup, with two hours' slack
CONNECTIONS_WARN_SHARE = 0.9
HIT_RATE_WARN = 0.95
HIT_RATE_MIN_REQUESTS = 10_000     # below this the rate says nothing yet
DISK_WARN_SHARE = 0.10
DISK_WARN_BYTES = 1 << 30
REPLICA_LAG_WARN_SECONDS = 60
STATEMENT_TEXT_CHARS = 120         # statement text is truncated: literals may be patient data
# Sessions the console never ends (session_kill refuses them too): shown, not offered.
PROTECTED_USERS = ("root", "system user", "event_scheduler", "mariadb.sys", "mysql.sys", "mysql.session",
                   "unauthenticated user", "")
SYSTEM_COMMANDS = ("Daemon", "Binlog Dump", "Binlog Dump GTID", "Slave_IO", "Slave_SQL", "Slave_worker", "Connect")

STATUS_NAMES = ("Uptime", "Threads_connected", "Aborted_connects", "Connection_errors_max_connections",
                "Innodb_buffer_pool_reads", "Innodb_buffer_pool_read_requests", "Max_used_connections")
LONG_STATEMENTS = (
    "SELECT ID, USER, HOST, DB, COMMAND, TIME, STATE, LEFT(INFO, %s) FROM information_schema.PROCESSLIST "
    "WHERE COMMAND NOT IN ('Sleep', 'Daemon', 'Binlog Dump', 'Binlog Dump GTID') AND TIME >= %s "
    "AND ID <> CONNECTION_ID() AND USER <> 'system user' ORDER BY TIME DESC, ID LIMIT 50")


@dataclass
class Statement:
    """A statement running longer than the threshold, and whether the console may end it."""

    id: int
    user: str
    host: str
    database: str | None
    command: str
    seconds: int
    state: str | None
    text: str | None     # truncated; shown to admins only
    killable: bool


@dataclass
class Disk:
    label: str
    path: str
    free_bytes: int | None
    total_bytes: int | None

    @property
    def free_share(self) -> float | None:
        return None if not self.total_bytes else self.free_bytes / self.total_bytes


@dataclass
class Health:
    version: str
    uptime_seconds: int
    connections: int
    max_connections: int
    max_used_connections: int
    refused_connections: int          # Aborted_connects: failed logins and handshakes
    refused_at_max: int               # Connection_errors_max_connections
    long_statement_seconds: int
    long_statements: list[Statement]
    buffer_pool_hit_rate: float | None
    disks: list[Disk]
    binlog_enabled: bool
    binlog_files: int
    binlog_bytes: int
    binlog_retention_seconds: int | None
    replicas: list[dict] = field(default_factory=list)
    cluster: dict | None = None
    newest_verified_backup: dict | None = None
    backup_max_age_hours: float = BACKUP_MAX_AGE_HOURS
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        for disk in data["disks"]:
            disk["free_share"] = (None if not disk["total_bytes"]
                                  else round(disk["free_bytes"] / disk["total_bytes"], 4))
        return data


def is_protected(user: str, command: str) -> bool:
    """True for the sessions session_kill refuses: root, hms_*, system threads."""
    return user in PROTECTED_USERS or user.startswith("hms_") or command in SYSTEM_COMMANDS


def read_health(info: ConnectionInfo, backup_dir: Path | None = None, *, home: Path | None = None,
                key_file: Path | None = None, long_seconds: int = LONG_STATEMENT_SECONDS,
                backup_max_age_hours: float = BACKUP_MAX_AGE_HOURS) -> Health:
    """Gather the server's health over the administrative login `info`."""
    try:
        with session(info, database=None) as conn, conn.cursor() as cur:
            cur.execute("SELECT VERSION(), @@GLOBAL.max_connections, @@GLOBAL.datadir, @@GLOBAL.log_bin")
            version, max_connections, datadir, log_bin = cur.fetchone()
            cur.execute("SHOW GLOBAL STATUS WHERE Variable_name IN (" + ", ".join(["%s"] * len(STATUS_NAMES)) + ")",
                        STATUS_NAMES)
            status = {name: int(value) for name, value in cur.fetchall()}
            statements = _long_statements(cur, long_seconds)
            files, size, retention = _binlog(cur, bool(log_bin))
            cluster = _cluster(conn)
    except pymysql.err.MySQLError as exc:
        raise database_error(exc, "reading the server's health",
                             "Use the administrative login (it needs PROCESS and to list the binary logs)") from None
    requests = status.get("Innodb_buffer_pool_read_requests", 0)
    hit_rate = None if not requests else max(0.0, 1 - status.get("Innodb_buffer_pool_reads", 0) / requests)
    on_this_machine = bool(info.unix_socket) or info.host in (None, "", "localhost", "127.0.0.1", "::1")
    disks = [_disk("data directory", Path(datadir)) if on_this_machine and Path(datadir).is_dir()
             else Disk("data directory", f"{datadir} (on the server's machine: not measured from here)", None, None)]
    if backup_dir is not None:
        disks.append(_disk("backup folder", Path(backup_dir)))
    health = Health(
        version=version, uptime_seconds=status.get("Uptime", 0), connections=status.get("Threads_connected", 0),
        max_connections=int(max_connections), max_used_connections=status.get("Max_used_connections", 0),
        refused_connections=status.get("Aborted_connects", 0),
        refused_at_max=status.get("Connection_errors_max_connections", 0),
        long_statement_seconds=long_seconds, long_statements=statements,
        buffer_pool_hit_rate=None if hit_rate is None else round(hit_rate, 5), disks=disks,
        binlog_enabled=bool(log_bin), binlog_files=files, binlog_bytes=size, binlog_retention_seconds=retention,
        replicas=_replicas(home), cluster=cluster,
        newest_verified_backup=_newest_verified(backup_dir, key_file), backup_max_age_hours=backup_max_age_hours)
    health.warnings = warnings(health, requests)
    return health


def warnings(health: Health, read_requests: int = HIT_RATE_MIN_REQUESTS) -> list[str]:
    """One line per finding past its threshold, each saying what to do."""
    found = []
    if health.connections >= CONNECTIONS_WARN_SHARE * health.max_connections:
        found.append(f"{health.connections} of {health.max_connections} connections in use: raise max_connections "
                     "or find the client that holds them")
    if health.long_statements:
        found.append(f"{len(health.long_statements)} statement(s) running longer than "
                     f"{health.long_statement_seconds} s: look at them, end them if stuck")
    if (health.buffer_pool_hit_rate is not None and read_requests >= HIT_RATE_MIN_REQUESTS
            and health.buffer_pool_hit_rate < HIT_RATE_WARN):
        found.append(f"InnoDB buffer pool hit rate {health.buffer_pool_hit_rate:.1%}: raise "
                     "innodb_buffer_pool_size in my.cnf")
    for disk in health.disks:
        share = disk.free_share
        if disk.free_bytes is not None and (disk.free_bytes < DISK_WARN_BYTES
                                            or (share is not None and share < DISK_WARN_SHARE)):
            found.append(f"only {_size(disk.free_bytes)} free under the {disk.label} ({disk.path}): free space "
                         "or prune old backups (`hms backup prune`)")
    for replica in health.replicas:
        if replica.get("problem"):
            found.append(f"replica {replica['name']}: {replica['problem']}")
        elif (replica.get("lag_seconds") or 0) > REPLICA_LAG_WARN_SECONDS:
            found.append(f"replica {replica['name']} is {replica['lag_seconds']} s behind: see `hms replica status`")
    if health.cluster is not None and not health.cluster.get("synced"):
        found.append(f"this Galera node is {health.cluster.get('state') or 'not synced'}: see `hms cluster status`")
    backup = health.newest_verified_backup
    if backup is None:
        found.append("no verified backup: take one with `hms backup create`")
    elif backup["age_hours"] > health.backup_max_age_hours:
        found.append(f"the newest verified backup is {backup['age_hours']:.0f} hours old (more than "
                     f"{health.backup_max_age_hours:g}): take one with `hms backup create`")
    return found


def kill_session(conn, database: str, session_id: int, *, query_only: bool) -> str:
    """End statement or session `session_id` through the console schema's session_kill procedure.

    Returns whose it was, 'user@host' as the server knew the session.
    """
    from .databases import console_schema

    try:
        with conn.cursor() as cur:
            cur.execute(f"CALL {quote_identifier(console_schema(database))}.session_kill(%s, %s)",
                        (int(session_id), bool(query_only)))
            user, host = cur.fetchone()
            while cur.nextset():
                pass
            return f"{user}@{host}"
    except pymysql.err.MySQLError as exc:
        raise DatabaseError(f"ending session {session_id} failed: {server_message(exc)}",
                            "Reload the page: the list shows which sessions may be ended") from None


def _long_statements(cur, long_seconds: int) -> list[Statement]:
    cur.execute(LONG_STATEMENTS, (STATEMENT_TEXT_CHARS, long_seconds))
    found = []
    for id_, user, host, db, command, seconds, state, text in cur.fetchall():
        user = user or ""
        found.append(Statement(id=int(id_), user=user, host=host or "", database=db, command=command,
                               seconds=int(seconds or 0), state=state or None, text=text,
                               killable=not is_protected(user, command)))
    return found


def _binlog(cur, enabled: bool) -> tuple[int, int, int | None]:
    cur.execute("SELECT @@GLOBAL.binlog_expire_logs_seconds")
    retention = cur.fetchone()[0]
    if not enabled:
        return 0, 0, retention
    cur.execute("SHOW BINARY LOGS")
    rows = cur.fetchall()
    return len(rows), sum(int(row[1]) for row in rows), int(retention) if retention is not None else None


def _cluster(conn) -> dict | None:
    from .cluster.status import read_status

    with conn.cursor() as cur:
        cur.execute("SHOW GLOBAL VARIABLES LIKE 'wsrep\\_on'")
        row = cur.fetchone()
    if not row or row[1] != "ON":
        return None
    status = read_status(conn, node=0, port=0, address="")
    return {"state": status.state, "cluster_size": status.cluster_size, "primary": status.primary,
            "ready": status.ready, "synced": status.synced}


def _replicas(home: Path | None) -> list[dict]:
    if home is None:
        return []
    from .replication import status as replication_status
    from .replication.topology import load

    topology = load(home)
    if topology is None:
        return []
    try:
        _, replicas = replication_status.all_states(topology)
    except Exception as exc:  # noqa: BLE001 - health reports what it cannot read instead of failing
        return [{"name": "?", "problem": f"replica status unreadable: {exc}"}]
    return [{"name": r.name, "running": r.running, "lag_seconds": r.lag_seconds,
             "lag_transactions": r.lag_transactions, "problem": r.problem()} for r in replicas]


def _newest_verified(backup_dir: Path | None, key_file: Path | None) -> dict | None:
    """The newest backup whose manifest is signed here and whose files still match it."""
    if backup_dir is None:
        return None
    from .backup.manifest import list_backups

    for backup in list_backups(Path(backup_dir), check=True, key_file=key_file):
        if backup.signed and backup.intact:
            created = datetime.fromisoformat(backup.manifest.created_at)
            age = (datetime.now(timezone.utc) - created).total_seconds() / 3600
            return {"name": backup.name, "kind": backup.manifest.kind, "created_at": backup.manifest.created_at,
                    "age_hours": round(age, 2)}
    return None


def _disk(label: str, path: Path) -> Disk:
    """Free and total bytes of the file system holding `path` (its nearest existing parent); unknown when remote."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        usage = shutil.disk_usage(probe)
    except OSError:
        return Disk(label, str(path), None, None)
    return Disk(label, str(path), usage.free, usage.total)


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return str(count)


def size_text(count: int | None) -> str:
    """Bytes for people: 1.5 GiB."""
    return "unknown" if count is None else _size(count)


def duration_text(seconds: int | float) -> str:
    """Seconds for people: 3 d 4 h, 5 h 12 min, 42 s."""
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"
