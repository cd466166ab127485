"""Private (0600) option files for the mysql client tools: how logins reach them safely.

A password given to `mariadb`, `mariadb-dump` or `mariadb-backup` goes in an option
file passed first as --defaults-extra-file, never on a command line `ps` shows.

The temporary ones are named hms-client-<pid>-<random>.cnf after the process that wrote
them: a process killed with -9 cannot delete its own, so every new one first deletes
those of processes that are gone (and unnamed ones older than an hour, from before).
"""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Iterator

from .connection import ConnectionInfo
from .processes import process_alive

CLIENT_FILE_PREFIX = "hms-client-"
CLIENT_FILE = re.compile(r"^hms-client-(?:(\d+)-)?[A-Za-z0-9_]+\.cnf$")
UNNAMED_STALE_SECONDS = 3600


@contextlib.contextmanager
def defaults_file(info: ConnectionInfo) -> Iterator[Path]:
    """Yield a 0600 option file with `info`'s login for the mysql client tools.

    Passed first as --defaults-extra-file so the password never shows in `ps`.
    """
    lines = ["[client]", f"user={_option_value(info.user)}", f"password={_option_value(info.password)}"]
    if info.unix_socket:
        lines += ["host=localhost", f"socket={_option_value(info.unix_socket)}"]
    else:
        lines += [f"host={_option_value(info.host)}", f"port={int(info.port)}", "protocol=TCP"]
    if info.ssl_ca:  # TLS, and the server's certificate checked against this CA
        lines += [f"ssl-ca={_option_value(info.ssl_ca)}", "ssl-verify-server-cert"]
    remove_stale_client_files()
    fd, name = tempfile.mkstemp(prefix=f"{CLIENT_FILE_PREFIX}{os.getpid()}-", suffix=".cnf")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        yield Path(name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def remove_stale_client_files(directory: Path | None = None) -> list[Path]:
    """Delete our temporary option files whose process is gone; return what was deleted."""
    directory = Path(directory or tempfile.gettempdir())
    removed = []
    for path in directory.glob(f"{CLIENT_FILE_PREFIX}*.cnf"):
        match = CLIENT_FILE.fullmatch(path.name)
        try:
            stat = path.lstat()
            if not match or stat.st_uid != os.getuid():
                continue
            stale = (not process_alive(int(match.group(1))) if match.group(1)
                     else time.time() - stat.st_mtime > UNNAMED_STALE_SECONDS)
            if stale:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue  # another process cleaned it first
    return removed


def write_option_file(path: Path, comment: str, **options: str | int) -> None:
    """Write a private (0600) [client] option file, readable by the mysql client tools."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    body = "\n".join(f"{key} = {value if isinstance(value, int) else _option_value(value)}"
                     for key, value in options.items())
    with os.fdopen(fd, "w") as handle:
        handle.write(f"# {comment}\n[client]\n{body}\n")


def read_option_file(path: Path) -> dict[str, str]:
    """Return the [client] options of an option file, unquoted; {} when it has none."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    if not parser.has_section("client"):
        return {}
    return {key: _unquote_option(value) for key, value in parser["client"].items()}


def _option_value(value: str) -> str:
    # Option files treat '#' as a comment and strip quotes; quote and escape so any
    # password survives.
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _unquote_option(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value
