"""Which login the tools use: the configured URL's, or the embedded server's administrative one."""

from __future__ import annotations

from .config import Settings
from .connection import ConnectionInfo, info_from_url
from .server import EmbeddedServer


def admin_login(settings: Settings) -> ConnectionInfo:
    """Return how to reach the configured server, logged in as its administrative account."""
    if settings.url:
        info = info_from_url(settings.url)
    else:
        info = EmbeddedServer(settings.home).connection_info()
    return info.with_database(settings.database)
