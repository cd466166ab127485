"""The embedded server's configuration, and the free port it listens on.

Two files, so a user's settings survive every start: `hms.cnf` holds hms's own
settings and is rewritten by each `hms server start`; `my.cnf` is written once,
includes hms.cnf first, and is the user's: anything set after the include wins.
The server is started with `--defaults-file=my.cnf`.
"""

from __future__ import annotations

import configparser
import os
import pwd
import socket
from pathlib import Path

from .. import dialect as dialects


MANAGED_NAME = "hms.cnf"
# Options hms.replication keeps for a server that is part of a replication topology
# (server_id, read_only on a replica, semi-sync, its buffer pool share):
# merged into hms.cnf on every start, so `hms server start` keeps a replica fenced.
ROLE_NAME = "role.cnf"
USER_HEADER = ("# Your settings for this server: `hms server start` never rewrites this file.\n"
               "# hms's own settings are in {managed} (rewritten on every start), read first;\n"
               "# an option set below the include overrides hms's value.\n")
# How long the server keeps binary logs; `hms backup prune` never needs older ones
# than its kept backups, which copy the logs they need next to themselves.
BINLOG_RETENTION_DAYS = 7


def write_config(server, dialect: dialects.Dialect, port: int, user: str | None = None,
                 server_id: int = 1, extra_options: dict[str, str] | None = None) -> None:
    """Write an EmbeddedServer's hms.cnf (account, paths, port, sizes, binary log), and its my.cnf once.

    `extra_options` come after hms's own: the protections of hms/server/protection.py (TLS,
    bind address, audit plugin, encryption, password check); then role.cnf's, the server's
    place in a replication topology (hms/replication/role.py)."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    bulk = server.profile == "bulk"
    if bulk:
        # Room for the 32M-row dataset's hot indexes, leaving the rest to the OS,
        # the generator and the console.
        pool = max(256 << 20, min(int(memory * 0.4), 16 << 30))
    else:
        pool = 128 << 20
    options = {
        "user": user or pwd.getpwuid(os.geteuid()).pw_name,
        "datadir": str(server.datadir),
        "socket": str(server.socket_path),
        "pid-file": str(server.pid_file),
        "log-error": str(server.log_file),
        "port": str(port),
        "bind-address": "127.0.0.1",
        "skip-name-resolve": "",
        "local_infile": "1",
        "character-set-server": "utf8mb4",
        "max_allowed_packet": str(256 << 20),
        "max_connections": "300",
        "innodb_buffer_pool_size": str(pool),
        "innodb_flush_log_at_trx_commit": "2",
        "innodb_file_per_table": "1",
        "innodb_io_capacity": "2000",
        "tmpdir": str(server.home / "tmp"),
        # Server-side file access (LOAD_FILE, LOAD DATA INFILE, INTO OUTFILE) only here;
        # `hms seed` uses LOAD DATA LOCAL, which reads the client's files and is unaffected.
        "secure_file_priv": str(server.files_dir),
    }
    options.update(dialect.binlog_options(server.binlog_dir / "hms-bin", server_id,
                                          BINLOG_RETENTION_DAYS * 86400))
    if not bulk:
        options["innodb_flush_method"] = "O_DIRECT_NO_FSYNC" if not dialect.is_mariadb else "O_DIRECT"
    options.update(dialect.server_options(memory, bulk))
    options.update(extra_options or {})
    options.update(role_options(server.home))
    body = "\n".join(f"{k} = {v}" if v else k for k, v in options.items())
    managed = server.config_file.with_name(MANAGED_NAME)
    managed.write_text("# Written by `hms server start` on every start: put your own settings in "
                       f"{server.config_file.name}.\n[mysqld]\n{body}\n")
    _write_user_config(server.config_file, managed)


def _write_user_config(config_file: Path, managed: Path) -> None:
    """Create my.cnf including hms.cnf; a my.cnf from before the split keeps its text below the include."""
    include = f"!include {managed}\n"
    if config_file.is_file():
        text = config_file.read_text()
        if include in text:
            return
        # A home started by an older hms: its my.cnf held every setting. Kept as the
        # user's file (whatever they edited wins as before), now reading hms.cnf first.
        config_file.write_text(USER_HEADER.format(managed=managed.name) + include + text)
        return
    config_file.write_text(USER_HEADER.format(managed=managed.name) + include + "\n[mysqld]\n")


def role_options(home: Path) -> dict[str, str | None]:
    """The [mysqld] options of the home's role.cnf (written by hms.replication), or {} for a lone server."""
    return _read_options(Path(home) / ROLE_NAME)


def configured_port(config_file: Path) -> int | None:
    """The port the server's configuration names (my.cnf over hms.cnf), or None before the first start."""
    port = None
    for path in (config_file.with_name(MANAGED_NAME), config_file):
        value = _read_options(path).get("port")
        if value:
            port = int(value)
    return port


def _read_options(path: Path) -> dict[str, str | None]:
    """The [mysqld] options of one option file, ignoring !include lines."""
    if not path.is_file():
        return {}
    lines = [line for line in path.read_text().splitlines() if not line.startswith(("!", "#"))]
    parser = configparser.ConfigParser(allow_no_value=True, interpolation=None, strict=False)
    parser.read_string("\n".join(lines))
    return dict(parser["mysqld"]) if parser.has_section("mysqld") else {}


def free_port(prefer_low: bool = True, first: int = 3307) -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on: `first` (3307) and up, or any."""
    for candidate in range(first, min(first + 93, 65536)) if prefer_low else ():
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return candidate
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

