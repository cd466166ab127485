"""The cluster's errors, and the one line a node outside the primary component gives."""

from __future__ import annotations

from .. import errcodes
from ..connection import error_code
from ..errors import HmsError

# The text MariaDB gives with 1047 when wsrep refuses a statement.
NOT_PREPARED = "WSREP has not yet prepared node for application use"
# A commit in flight when the node lost the primary component fails with 1180 saying this;
# it was rolled back, on every node.
NO_PRIMARY = "Not connected to Primary Component"


class ClusterError(HmsError):
    """A cluster could not be made, started, stopped or inspected."""


class NodeNotPrimary(HmsError):
    """The node answered, but it is not in the primary component: it refuses reads and writes."""


def not_primary(where: str) -> NodeNotPrimary:
    """The error for a statement refused by a node cut off from the cluster's majority."""
    return NodeNotPrimary(
        f"the cluster node at {where} is not in the primary component (it lost contact with the "
        "majority of the cluster, or is still joining), so it refuses reads and writes",
        "Run the command against a node of the primary component (`hms cluster status` lists them), "
        "or bring the missing nodes back (`hms cluster start`)")


def is_not_prepared(exc: BaseException) -> bool:
    """True for the refusal of a node outside the primary component (1047, or 1180 at commit)."""
    code, text = error_code(exc), str(exc)
    return (code == errcodes.WSREP_NOT_PREPARED or NOT_PREPARED in text
            or (code == errcodes.ERROR_DURING_COMMIT and NO_PRIMARY in text))


def refusal_message(exc: BaseException, where: str | None = None) -> str | None:
    """The one line for a wsrep refusal (the CLI prints it), or None when `exc` is something else.

    Also when `exc` is an hms error raised while handling the refusal (a module that wraps
    the server's error in its own keeps it as __context__, even `from None`): its advice
    (privileges, the account) would not be what fixes it.
    """
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, NodeNotPrimary):
            return exc.message
        if is_not_prepared(exc) and not isinstance(exc, HmsError):
            return not_primary(where or "the address hms used").message
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None
