"""A scratch server on a prepared copy of a physical backup: started to be read, then
stopped and removed.

It is an embedded-server home of its own in a temporary directory (TMPDIR): the prepared
copy as its data directory, a free port on 127.0.0.1, a small buffer pool, no binary log,
no replication threads and no event scheduler (nothing restored runs by itself), and,
started by root, the unprivileged server account (server/runas.py). A copy of an encrypted
home gets a copy of the installation's keys/ and encrypts like it (physical_keys.py), its
key file's passphrase from HMS_KEY_PASSPHRASE as at `hms server start`. Its root password is
new and random (first_login.py). A run killed before it could clean up leaves a home named
after its process; the next scratch server stops that one's server and removes it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..config import home_from_env
from ..connection import ConnectionInfo
from ..errors import HmsError
from ..optionfiles import write_option_file
from ..processes import process_alive
from ..server import EmbeddedServer
from ..server.config import MANAGED_NAME
from ..server.runas import prepare_home, server_account
from . import first_login, physical_files, physical_keys
from .manifest import Backup
from .prepare import prepare_chain

PREFIX = "hms-scratch-"
HOME_NAME = re.compile(r"^hms-scratch-(?P<pid>\d+)-[A-Za-z0-9_]+$")
BUFFER_POOL = 64 << 20
SETTINGS = ("skip-log-bin", "skip-slave-start", "event-scheduler = OFF", f"innodb_buffer_pool_size = {BUFFER_POOL}")


@dataclass
class Scratch:
    """A running scratch server and its administrative login."""

    server: EmbeddedServer
    info: ConnectionInfo


@contextlib.contextmanager
def scratch_server(chain: list[Backup], *, binary: str, progress: Callable[[int], None] | None = None,
                   root: Path | None = None) -> Iterator[Scratch]:
    """Yield a scratch server started on a prepared copy of `chain`; stop and remove it afterwards."""
    keys = physical_keys.chain_keys(chain, home_from_env())  # an encrypted chain: refused here without its keys
    root = Path(root or tempfile.gettempdir())
    remove_stale(root)
    home = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=root))
    server = first_login.RestoredServer(home, profile="test")
    launched = False
    try:
        prepare_chain(chain, server.datadir, binary=binary, progress=progress, keys=keys)
        account = server_account()
        prepare_home(home, server.log_file, account)
        physical_keys.adopt(keys, home, account.pw_uid)  # started like its source: encrypting, with its keys
        password = secrets.token_urlsafe(24)
        init = first_login.write_init_file(server.home / "tmp", account, password)
        server.config_file.write_text(f"!include {home / MANAGED_NAME}\n[mysqld]\ninit-file = {init}\n"
                                      + "\n".join(SETTINGS) + "\n")
        write_option_file(server.client_file, "Administrative login of a scratch server (removed with it).",
                          user=first_login.ADMIN_USER, password=password, socket=str(server.socket_path), port=0)
        launched = True
        server.start()
        init.unlink()
        yield Scratch(server=server, info=server.connection_info())
    finally:
        if launched:
            with contextlib.suppress(HmsError, OSError):
                server.stop()
        physical_files.remove_tree(home)


def remove_stale(root: Path) -> list[Path]:
    """Stop the servers of scratch homes whose process is gone, and remove the homes; return them."""
    removed = []
    for home in root.glob(PREFIX + "*"):
        match = HOME_NAME.match(home.name)
        if not match or home.is_symlink() or not home.is_dir() or home.stat().st_uid != os.geteuid():
            continue
        if process_alive(int(match.group("pid"))):
            continue
        _stop_left_server(EmbeddedServer(home))
        with contextlib.suppress(OSError):
            physical_files.remove_tree(home)
            removed.append(home)
    return removed


def _stop_left_server(server: EmbeddedServer, timeout: float = 60.0) -> None:
    """Stop a scratch home's server left running, only if that pid really is its server."""
    pid = server.pid()
    if pid is None:
        return  # nothing runs there, or the pid was reused by another process: not ours to stop
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
