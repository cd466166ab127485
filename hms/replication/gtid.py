"""MariaDB GTID positions ("0-1-357,1-2-12"): parsed, compared and subtracted.

A position holds, per replication domain, the last transaction applied:
domain-server-sequence. With gtid_strict_mode the sequence numbers of a domain only
grow, so "how far behind" is the difference of sequence numbers, domain by domain.
"""

from __future__ import annotations

import re

GTID = re.compile(r"^(\d+)-(\d+)-(\d+)$")


def parse(position: str | None) -> dict[int, tuple[int, int]]:
    """Return {domain: (server_id, sequence)} of a GTID position; {} for an empty one."""
    found: dict[int, tuple[int, int]] = {}
    for part in (position or "").replace("\n", "").split(","):
        part = part.strip()
        if not part:
            continue
        match = GTID.fullmatch(part)
        if match is None:
            raise ValueError(f"'{part}' is not a GTID (domain-server-sequence)")
        domain, server, sequence = (int(x) for x in match.groups())
        found[domain] = (server, sequence)
    return found


def sequences(position: str | None) -> dict[int, int]:
    """Return {domain: sequence} of a GTID position."""
    return {domain: seq for domain, (_, seq) in parse(position).items()}


def behind(ahead: str | None, position: str | None) -> int:
    """Return how many transactions `position` lacks to reach `ahead` (0 when it is level or past it)."""
    have = sequences(position)
    return sum(max(0, seq - have.get(domain, 0)) for domain, seq in sequences(ahead).items())


def reached(position: str | None, target: str | None) -> bool:
    """True when `position` holds every transaction of `target`."""
    return behind(target, position) == 0


def order_key(position: str | None) -> tuple[int, ...]:
    """A key that sorts positions of one topology by how much they hold (total sequence)."""
    seqs = sequences(position)
    return (sum(seqs.values()), *(seqs[d] for d in sorted(seqs)))
