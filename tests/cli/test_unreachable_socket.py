"""A login over a Unix socket nobody answers on fails in one line and leaves no socket open.

PyMySQL's own connect() left the socket it made unclosed when the Unix-socket connect
failed, held by the error's traceback; under the suite's warnings-as-errors the garbage
collector then failed whichever test happened to be running (hms/connection.py now makes
the socket itself)."""

from __future__ import annotations

import gc
import socket
import sys

import pytest

from hms.connection import ConnectionInfo, connect
from hms.errors import ConnectionFailed


@pytest.mark.parametrize("stale", [True, False], ids=["stale socket file", "no socket file"])
def test_a_failed_unix_socket_login_closes_its_socket(tmp_path, monkeypatch, stale):
    path = tmp_path / "mysqld.sock"
    if stale:   # the file a killed server leaves behind: it exists, nobody listens
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
            dead.bind(str(path))
    leaked = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: leaked.append(str(u.exc_value)))
    kept = []
    with pytest.raises(ConnectionFailed, match="cannot reach the server at"):
        try:
            connect(ConnectionInfo(user="root", unix_socket=str(path)))
        except ConnectionFailed as exc:
            kept.append(exc.__traceback__)   # a reference cycle, as a caller's frame can make
            raise
    kept.clear()
    gc.collect()
    assert not [m for m in leaked if "unclosed <socket" in m], leaked
