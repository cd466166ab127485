"""The error every backup module raises (re-exported by hms.backup and hms.backup.manifest)."""

from ..errors import HmsError


class BackupError(HmsError):
    """A backup could not be made, read, verified or restored."""
