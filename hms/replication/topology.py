"""The replication topology of one HMS_HOME: which servers there are and which is the primary.

Every server is a home of its own (dbdeployer's model): the HMS_HOME's own server,
called `main`, and each replica in $HMS_HOME/replicas/<name>. One record,
$HMS_HOME/replication.json, names them, their server ids, which one is the primary
(the `primary` record: hms/login.py sends every `hms` command of this HMS_HOME to
it, so after a promotion `hms db migrate`, `hms users`, `hms backup` and the console
reach the new primary), and which replicas use semi-synchronous replication. It holds
no password. Commands that change it hold $HMS_HOME/replication.lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Iterator

from ..connection import ConnectionInfo
from ..server import EmbeddedServer
from .errors import ReplicationError

RECORD_NAME = "replication.json"
LOCK_NAME = "replication.lock"
REPLICAS_DIR = "replicas"
FORMAT = "hms-replication/1"
MAIN = "main"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


# One EmbeddedServer per home in this process: the object that started a server keeps its
# process handle, so stopping it later (from any command of the same process) reaps it.
_servers: dict[Path, EmbeddedServer] = {}


def server_for(home: Path, profile: str) -> EmbeddedServer:
    """The EmbeddedServer of `home` for this process, with `profile` for its next start."""
    home = Path(home).absolute()
    server = _servers.get(home)
    if server is None:
        server = _servers[home] = EmbeddedServer(home, profile=profile)
    server.profile = profile
    return server


def check_name(name: str) -> str:
    """Return `name` when it can name a replica, else raise ReplicationError."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        shown = name if isinstance(name, str) and len(name) <= 40 and name.isprintable() else "that name"
        raise ReplicationError(f"'{shown}' is not a valid replica name",
                               "Use 1-32 lower-case letters, digits or underscores, starting with a letter")
    return name


@dataclass
class Member:
    """One server of the topology: its home, server id, and how it replicates."""

    name: str
    home: Path
    server_id: int
    semi_sync: bool = False
    fenced: bool = False      # an old primary left read-only by a failover, until `hms replica rejoin`

    def server(self) -> EmbeddedServer:
        """The member's server; replicas start with the small 'replica' profile (sizes pinned in role.cnf)."""
        return server_for(self.home, "bulk" if self.name == MAIN else "replica")

    def login(self) -> ConnectionInfo:
        """The member's administrative login over loopback TCP (ServerError when its home holds none).

        TCP, not the unix socket: a dead server's socket file refuses fast, and PyMySQL
        leaks its socket object when a unix-socket connect is refused.
        """
        return replace(self.server().connection_info(), host="127.0.0.1", unix_socket=None)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["home"] = str(self.home)
        del data["name"]
        return data


@dataclass
class Topology:
    """The servers of one HMS_HOME; `primary` names the member that takes writes."""

    home: Path
    primary: str = MAIN
    members: dict[str, Member] = field(default_factory=dict)
    # Buffer pool of the primary, and redo log size, both read when the first replica was added.
    primary_pool: int | None = None
    redo_bytes: int | None = None
    # The last failover: who was the primary, and the position the new primary took over at.
    failover: dict | None = None

    @property
    def record(self) -> Path:
        return self.home / RECORD_NAME

    def member(self, name: str) -> Member:
        """The member called `name`; ReplicationError naming the known ones otherwise."""
        check_name(name)
        if name not in self.members:
            known = ", ".join(sorted(self.members)) or "none yet"
            raise ReplicationError(f"there is no replica called '{name}' (members: {known})",
                                   "See `hms replica list`, or add it with `hms replica add NAME`")
        return self.members[name]

    def primary_member(self) -> Member:
        return self.members[self.primary]

    def replicas(self) -> list[Member]:
        """Every member but the primary, by name."""
        return [m for n, m in sorted(self.members.items()) if n != self.primary]

    def replica_home(self, name: str) -> Path:
        return self.home / REPLICAS_DIR / check_name(name)

    def next_server_id(self) -> int:
        return max([m.server_id for m in self.members.values()] + [1]) + 1

    def semi_sync(self) -> bool:
        """True when any replica acknowledges transactions semi-synchronously."""
        return any(m.semi_sync for m in self.replicas() if not m.fenced)

    def save(self) -> None:
        """Write the record atomically (0600)."""
        data = {"format": FORMAT, "primary": self.primary, "primary_pool": self.primary_pool,
                "redo_bytes": self.redo_bytes, "failover": self.failover,
                "members": {name: m.as_dict() for name, m in sorted(self.members.items())}}
        tmp = self.record.with_name(f".{RECORD_NAME}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.record)


def load(home: Path) -> Topology | None:
    """The topology recorded in `home`, or None when no replica was ever added there."""
    home = Path(home).absolute()
    path = home / RECORD_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT:
            raise ValueError("unknown format")
        members = {check_name(name): Member(name=name, home=Path(m["home"]), server_id=int(m["server_id"]),
                                            semi_sync=bool(m.get("semi_sync")), fenced=bool(m.get("fenced")))
                   for name, m in data["members"].items()}
        if data["primary"] not in members or not all(m.home.is_absolute() for m in members.values()):
            raise ValueError("inconsistent members")
    except (OSError, ValueError, KeyError, TypeError, ReplicationError) as exc:
        raise ReplicationError(f"the replication record {path} cannot be read ({exc})",
                               "Restore it from a backup of HMS_HOME, or remove it to forget the replicas") from None
    return Topology(home=home, primary=data["primary"], members=members, primary_pool=data.get("primary_pool"),
                    redo_bytes=data.get("redo_bytes"), failover=data.get("failover"))


def load_or_new(home: Path) -> Topology:
    """The recorded topology, or a new one holding only this home's own server as primary."""
    home = Path(home).absolute()
    found = load(home)
    if found is not None:
        return found
    return Topology(home=home, members={MAIN: Member(name=MAIN, home=home, server_id=1)})


def primary_home(home: Path) -> Path:
    """The home of the server that takes writes: the promoted replica's after a promotion, else `home`."""
    home = Path(home).absolute()
    if not (home / RECORD_NAME).is_file():
        return home
    topology = load(home)
    return topology.primary_member().home


@contextlib.contextmanager
def locked(home: Path) -> Iterator[Topology]:
    """Yield the topology of `home` (new when none), holding the lock that serialises changes to it."""
    home = Path(home).absolute()
    if not home.is_dir():
        raise ReplicationError(f"there is no HMS_HOME at {home}",
                               "Start the primary first with `hms server start`")
    fd = os.open(home / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReplicationError("another `hms replica` command is changing the replicas of this HMS_HOME",
                                   "Wait for it to finish and run this one again") from None
        yield load_or_new(home)
    finally:
        os.close(fd)
