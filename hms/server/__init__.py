"""Servers hms runs itself: the embedded server kept in HMS_HOME."""

from .embedded import EmbeddedServer, ServerStatus

__all__ = ["EmbeddedServer", "ServerStatus"]
