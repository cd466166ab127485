"""Which node a cold start bootstraps from: the saved state of each node's data directory.

Galera writes `grastate.dat` in the data directory: the cluster's UUID, the seqno of
the last write set this node committed, and safe_to_bootstrap (1 only on the last node
of the primary component to shut down cleanly). A node that crashed leaves seqno -1;
its true position is then in InnoDB, read by `mariadbd --wsrep-recover`.

The cold start bootstraps from the node with the highest seqno. Bootstrapping from a
stale node would start a new history from old data: the nodes ahead of it would then
need a full state transfer that overwrites their newer commits.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import ClusterError

GRASTATE = "grastate.dat"
SAVED_VIEW = "gvwstate.dat"   # the last primary component, for pc.recovery after a full crash
NO_UUID = "00000000-0000-0000-0000-000000000000"
RECOVERED = re.compile(r"WSREP: Recovered position:\s*([0-9a-f-]{36}):(-?\d+)")
RECOVER_TIMEOUT = 180


@dataclass(frozen=True)
class SavedState:
    """A stopped node's position: cluster UUID, seqno (-1: unknown) and whether it may bootstrap."""

    number: int
    uuid: str | None
    seqno: int
    safe_to_bootstrap: bool
    recovered: bool = False   # seqno read by --wsrep-recover, not from grastate.dat

    @property
    def known(self) -> bool:
        return self.uuid not in (None, NO_UUID) and self.seqno >= 0


def read_grastate(datadir: Path, number: int) -> SavedState:
    """The state grastate.dat records (uuid None when the file is missing)."""
    path = Path(datadir) / GRASTATE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return SavedState(number, None, -1, False)
    fields = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    try:
        seqno = int(fields.get("seqno", "-1"))
    except ValueError:
        seqno = -1
    return SavedState(number, fields.get("uuid"), seqno, fields.get("safe_to_bootstrap") == "1")


def set_safe_to_bootstrap(datadir: Path) -> None:
    """Mark the chosen node's grastate.dat safe_to_bootstrap: 1 (what an operator does by hand)."""
    path = Path(datadir) / GRASTATE
    text = path.read_text()
    text = re.sub(r"^safe_to_bootstrap:\s*\d+", "safe_to_bootstrap: 1", text, flags=re.M)
    path.write_text(text)


def parse_recovered(log_text: str) -> tuple[str, int] | None:
    """(uuid, seqno) from the output of `mariadbd --wsrep-recover`, or None."""
    found = RECOVERED.findall(log_text)
    if not found:
        return None
    uuid, seqno = found[-1]
    return uuid, int(seqno)


def recover_position(command: list[str], log_file: Path) -> tuple[str, int] | None:
    """Run `mariadbd --wsrep-recover` (InnoDB recovery, then exit) and read the position it logs."""
    start = log_file.stat().st_size if log_file.exists() else 0
    try:
        subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=RECOVER_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ClusterError(f"`mariadbd --wsrep-recover` did not finish within {RECOVER_TIMEOUT} s",
                           f"See {log_file}") from None
    with open(log_file, "rb") as handle:
        handle.seek(start)
        return parse_recovered(handle.read().decode(errors="replace"))


def choose_bootstrap(states: list[SavedState]) -> SavedState:
    """The node to bootstrap from: the highest seqno; on a tie, the one marked safe, then the lowest number.

    Refuses nodes of different clusters, and a cluster none of whose positions is known.
    """
    known = [s for s in states if s.known]
    if not known:
        raise ClusterError("no node's saved position could be read (no grastate.dat with a seqno, "
                           "and --wsrep-recover found none)",
                           "See each node's error.log under $HMS_HOME/cluster; remove the cluster folder "
                           "to start a new, empty cluster")
    uuids = {s.uuid for s in known}
    if len(uuids) > 1:
        raise ClusterError(f"the nodes hold data of different clusters ({', '.join(sorted(uuids))})",
                           "Keep one cluster's nodes: remove the data of the others and let them rejoin")
    return max(known, key=lambda s: (s.seqno, s.safe_to_bootstrap, -s.number))
