"""The embedded server's my.cnf, and the free port it listens on."""

from __future__ import annotations

import configparser
import os
import pwd
import socket
from pathlib import Path

from .. import dialect as dialects


def write_config(server, dialect: dialects.Dialect, port: int, user: str | None = None) -> None:
    """Write an EmbeddedServer's my.cnf: its account, paths, port and sizes, for its profile (bulk or test)."""
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
    if not bulk:
        options["innodb_flush_method"] = "O_DIRECT_NO_FSYNC" if not dialect.is_mariadb else "O_DIRECT"
    options.update(dialect.server_options(memory, bulk))
    body = "\n".join(f"{k} = {v}" if v else k for k, v in options.items())
    server.config_file.write_text(f"# Written by `hms server start`; edit freely.\n[mysqld]\n{body}\n")


def configured_port(config_file: Path) -> int | None:
    """The port my.cnf names, or None when there is no my.cnf yet."""
    if not config_file.is_file():
        return None
    parser = configparser.ConfigParser(allow_no_value=True, interpolation=None, strict=False)
    parser.read_string(config_file.read_text().split("\n", 1)[1])
    value = parser["mysqld"].get("port")
    return int(value) if value else None


def free_port(prefer_low: bool = True) -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on: 3307 and up, or any."""
    for candidate in range(3307, 3400) if prefer_low else ():
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return candidate
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

