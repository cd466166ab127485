"""The error `hms replica` raises: what failed, and how to fix it."""

from ..errors import HmsError


class ReplicationError(HmsError):
    """A replica could not be added, inspected, promoted, checked or removed."""
