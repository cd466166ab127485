"""Which login the tools use: the configured URL's, or the embedded server's administrative one."""

from __future__ import annotations

from .config import Settings
from .connection import ConnectionInfo, info_from_url
from .replication.topology import primary_home
from .server import EmbeddedServer


def admin_login(settings: Settings) -> ConnectionInfo:
    """Return how to reach the configured server, logged in as its administrative account.

    Embedded: the primary of HMS_HOME's replication topology (HMS_HOME's own server
    unless a replica was promoted; see hms/replication/topology.py).
    """
    if settings.url:
        info = info_from_url(settings.url)
    else:
        info = EmbeddedServer(primary_home(settings.home)).connection_info()
    return info.with_database(settings.database)
