"""How a node that (re)joined got the state it missed: read from its error log.

With wsrep_sst_method=mariabackup both kinds pass through the SST script, which logs
"mariabackup IST completed on joiner" when the donor sent only the missing write sets
(incremental, IST) and "mariabackup SST completed on joiner" after a full copy (SST);
the server then logs "SST received" either way.
"""

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
    if "IST completed on joiner" in text or "Running IST" in text:
        return IST
    if "SST completed on joiner" in text:
        return SST
    if "IST received" in text:
        return IST
    return NONE
