"""How a node that (re)joined got the state it missed: read from its error log."""

from __future__ import annotations

from pathlib import Path

IST = "IST"
SST = "SST"
NONE = "none"


def transfer_since(log_file: Path, offset: int) -> str:
    """IST, SST or none: the state transfer the node's log reports after byte `offset`."""
    try:
        with open(log_file, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode(errors="replace")
    except FileNotFoundError:
        return NONE
    if "SST succeeded" in text or "SST received" in text:
        return SST
    if "IST received" in text or "Receiving IST" in text:
        return IST
    return NONE
