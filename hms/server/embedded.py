"""The embedded server: a private MariaDB/MySQL instance kept in HMS_HOME."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pymysql

from .. import dialect as dialects
from .. import encryption, errcodes
from ..connection import ConnectionInfo, session, socket_accepts
from ..errors import ConnectionFailed, ServerError
from ..optionfiles import read_option_file, write_option_file
from ..processes import server_pid
from . import protection
from .config import configured_port, free_port, write_config
from .runas import prepare_home, server_account

ADMIN_USER = "root"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 120.0
# Unix socket paths are limited to 107 bytes; longer homes put the socket in /tmp.
SOCKET_PATH_LIMIT = 100


@dataclass(frozen=True)
class ServerStatus:
    """Whether the embedded server runs, and how to reach it."""

    running: bool
    home: Path
    version: str | None = None
    url: str | None = None
    pid: int | None = None
    tcp_host: str | None = None  # the TCP address clients reach it on, and its port
    tcp_port: int | None = None
    user: str | None = None
    socket: str | None = None

    @property
    def client_command(self) -> str | None:
        """A ready `mariadb` command line over TCP, asking for the password (never on the line)."""
        if not self.tcp_port:
            return None
        return f"mariadb -h {self.tcp_host} -P {self.tcp_port} -u {self.user} -p"


class EmbeddedServer:
    """A server whose data directory, socket, config and logs all live in `home`."""

    def __init__(self, home: Path, profile: str = "bulk"):
        self.home = Path(home).absolute()
        self.profile = profile
        self._process: subprocess.Popen | None = None

    # -- paths ---------------------------------------------------------------
    @property
    def datadir(self) -> Path:
        return self.home / "data"

    @property
    def config_file(self) -> Path:
        return self.home / "my.cnf"

    @property
    def binlog_dir(self) -> Path:
        """The binary log: kept apart from the data so a data directory restore never overwrites it."""
        return self.home / "binlog"

    @property
    def client_file(self) -> Path:
        """0600 option file holding the administrative login; readable by the mysql client."""
        return self.home / "client.cnf"

    @property
    def run_dir(self) -> Path:
        """Socket and pid file: written by the server account, which cannot write the home itself."""
        return self.home / "run"

    @property
    def files_dir(self) -> Path:
        """secure_file_priv: the only place LOAD_FILE, LOAD DATA INFILE and INTO OUTFILE may touch."""
        return self.home / "files"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "mysqld.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "error.log"

    @property
    def socket_path(self) -> Path:
        path = self.run_dir / "mysqld.sock"
        if len(str(path)) > SOCKET_PATH_LIMIT:
            import hashlib
            digest = hashlib.sha1(str(self.home).encode()).hexdigest()[:12]
            path = Path("/tmp") / f"hms-{digest}.sock"
        return path

    @property
    def initialised(self) -> bool:
        return (self.datadir / "mysql").is_dir() and self.client_file.is_file()

    # -- public operations -----------------------------------------------------
    def connection_info(self) -> ConnectionInfo:
        """Return the administrative login for this server, from client.cnf."""
        if not self.client_file.is_file():
            raise ServerError(f"no embedded server in {self.home}",
                              "Start one with `hms server start`, or set HMS_DATABASE_URL")
        options = read_option_file(self.client_file)
        return ConnectionInfo(user=options["user"], password=options["password"], host="localhost",
                              port=int(options.get("port", "3306")), unix_socket=options["socket"])

    def status(self) -> ServerStatus:
        """Return whether the server answers, its version and URL."""
        if not self.client_file.is_file():
            return ServerStatus(running=False, home=self.home)
        info = self.connection_info()
        version = self._ping(info)
        bind = protection.load(self.home).bind
        host = protection.LOOPBACK if bind in ("0.0.0.0", "::") else bind
        return ServerStatus(running=version is not None, home=self.home, version=version,
                            url=info.url(hide_password=True), pid=self.pid(), tcp_host=host, tcp_port=info.port,
                            user=info.user, socket=info.unix_socket)

    def start(self, port: int | None = None, bind: str | None = None,
              access_audit: bool | None = None, password_check: bool | None = None,
              encrypt: bool = False) -> ServerStatus:
        """Start the server (creating it on first use); return once it answers. Idempotent.

        `bind`: listen on this address (remembered for later starts); beyond loopback every
        TCP login must use TLS; `access_audit`: record logins and table reads and writes per
        account (remembered; on by default). See hms/server/protection.py."""
        current = self.status()
        if current.running:
            if port is not None and self.connection_info().port != port:
                raise ServerError(f"the embedded server already runs on port {self.connection_info().port}",
                                  "Stop it with `hms server stop` first to change the port")
            protection.refuse_change_while_running(self.home, bind=bind, encrypt=encrypt, access_audit=access_audit,
                                                   password_check=password_check)
            return current
        found = dialects.find_server_binary()
        if found is None:
            raise ServerError("no MariaDB or MySQL server binary (mariadbd or mysqld) was found",
                              dialects.INSTALL_HINT)
        server_bin, dialect = found
        account = server_account()
        prepare_home(self.home, self.log_file, account)
        fresh = not (self.datadir / "mysql").is_dir()
        chosen_port = port or configured_port(self.config_file) or free_port(prefer_low=self.profile == "bulk")
        choices = protection.choose(self.home, bind=bind, access_audit=access_audit, password_check=password_check,
                                    encrypt=encrypt, fresh=fresh)
        extra = protection.server_options(self, dialect, account.pw_uid, choices)
        write_config(self, dialect, chosen_port, account.pw_name, extra_options=extra)
        if fresh:
            self._initialise(server_bin, dialect, account.pw_name)
        try:
            for attempt in range(5):
                try:
                    self._launch(server_bin)
                    break
                except ServerError as exc:
                    # Another process took a port we picked ourselves: pick again. A port the
                    # user asked for is theirs to fix.
                    if port is not None or "Address already in use" not in exc.what or attempt == 4:
                        raise
                    chosen_port = free_port(prefer_low=False)
                    write_config(self, dialect, chosen_port, account.pw_name, extra_options=extra)
        finally:
            encryption.forget_filekey(self.home)  # the key file's passphrase: read at start-up only
        if fresh or not self.client_file.is_file():
            self._secure(chosen_port)
        else:
            self._update_client_file(chosen_port)
        self._wait_until_answers(self.connection_info())
        return self.status()

    def stop(self) -> bool:
        """Shut the server down cleanly; return False when it was not running."""
        pid = self.pid()
        if pid is None or not _alive(pid):
            return False
        try:
            with session(self.connection_info(), database=None) as conn, conn.cursor() as cur:
                cur.execute("SHUTDOWN")
        except (pymysql.err.MySQLError, ConnectionFailed, ServerError, OSError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _alive(pid):
            if time.monotonic() > deadline:
                raise ServerError(f"the server (pid {pid}) did not stop within {STOP_TIMEOUT:.0f} s",
                                  f"See {self.log_file}; stop it with `kill {pid}`")
            time.sleep(0.1)
        if self._process is not None:
            self._process.wait()
        return True

    # -- internals -----------------------------------------------------------
    def _initialise(self, server_bin: Path, dialect: dialects.Dialect, user: str) -> None:
        command = dialect.initialise_command(server_bin, self.config_file, user)
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if result.returncode != 0 or not (self.datadir / "mysql").is_dir():
            last = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise ServerError(f"initialising the data directory in {self.datadir} failed: {' '.join(last)}",
                              f"Remove {self.datadir} and run `hms server start` again")

    def _launch(self, server_bin: Path) -> None:
        with open(self.home / "server.out", "ab") as out:
            process = subprocess.Popen([str(server_bin), f"--defaults-file={self.config_file}"],
                                       stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                       start_new_session=True, env=protection.server_environment(self.home))
        # Kept so the child is reaped by stop() when this object started it.
        self._process = process
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerError(f"the server exited during start-up: {self._log_tail()}",
                                  f"See {self.log_file}")
            if self.socket_path.exists() and self._answers_as_any():
                return
            time.sleep(0.1)
        raise ServerError(f"the server did not answer within {START_TIMEOUT:.0f} s",
                          f"See {self.log_file}")

    def _answers_as_any(self) -> bool:
        if not socket_accepts(self.socket_path):
            return False  # e.g. the socket file a killed server left behind
        try:
            pymysql.connect(unix_socket=str(self.socket_path), user="__hms_ping__", connect_timeout=2,
                            ssl_disabled=True).close()
        except pymysql.err.OperationalError as exc:
            # A refused login still proves the server is up and accepting connections.
            return exc.args[0] not in errcodes.CONNECT_FAILURES
        return True

    def _secure(self, port: int) -> None:
        """First start: give root a random password; drop anonymous users and the test db."""
        password = secrets.token_urlsafe(24) + "aA1!"  # passes the server's password check when on
        first_login = ConnectionInfo(user=ADMIN_USER, unix_socket=str(self.socket_path))
        with session(first_login, database=None) as conn:
            # Only the password's hash is sent: these statements go to the binary log.
            identified, hashed = dialects.for_connection(conn).identified(password)
            with conn.cursor() as cur:
                cur.execute("SELECT user, host FROM mysql.user WHERE user IN ('', %s)", (ADMIN_USER,))
                accounts = cur.fetchall()
                for user, host in accounts:
                    if user == "" or host not in ("localhost", "127.0.0.1"):
                        cur.execute("DROP USER %s@%s", (user, host))
                hosts = {host for user, host in accounts if user == ADMIN_USER}
                if "127.0.0.1" not in hosts:
                    cur.execute(f"CREATE USER %s@'127.0.0.1' {identified}", (ADMIN_USER, hashed))
                    cur.execute("GRANT ALL PRIVILEGES ON *.* TO %s@'127.0.0.1' WITH GRANT OPTION", (ADMIN_USER,))
                for host in ("localhost", "127.0.0.1"):
                    cur.execute(f"ALTER USER %s@%s {identified}", (ADMIN_USER, host, hashed))
                cur.execute("DROP DATABASE IF EXISTS test")
                cur.execute("DELETE FROM mysql.db WHERE Db = %s OR Db LIKE %s", ("test", "test\\_%"))
                cur.execute("FLUSH PRIVILEGES")
        self._write_client_file(password, port)

    def _write_client_file(self, password: str, port: int) -> None:
        write_option_file(self.client_file, "Administrative login of the embedded server. Keep private (0600).",
                          user=ADMIN_USER, password=password, socket=str(self.socket_path), port=port)

    def _update_client_file(self, port: int) -> None:
        """Rewrite client.cnf when the port or socket moved (homes made before run/ existed)."""
        info = self.connection_info()
        if info.port != port or info.unix_socket != str(self.socket_path):
            self._write_client_file(info.password, port)

    def _wait_until_answers(self, info: ConnectionInfo) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while self._ping(info) is None:
            if time.monotonic() > deadline:
                raise ServerError("the server started but refuses the administrative login",
                                  f"See {self.log_file}; remove {self.home} to start afresh")
            time.sleep(0.2)

    def _ping(self, info: ConnectionInfo) -> str | None:
        try:
            with session(info, database=None) as conn:
                # MariaDB prefixes its version with '5.5.5-' for old clients.
                return conn.get_server_info().removeprefix("5.5.5-")
        except (pymysql.err.MySQLError, ConnectionFailed, OSError):
            return None

    def pid(self) -> int | None:
        """The pid of this home's running server, or None (a stale pid file's pid is not its server)."""
        # The home's top level held the pid file before the server dropped root.
        for path in (self.pid_file, self.home / "mysqld.pid"):
            if path.is_file():
                return server_pid(path, self.config_file)
        return None

    def _log_tail(self, lines: int = 3) -> str:
        try:
            text = self.log_file.read_text(errors="replace").strip().splitlines()
        except FileNotFoundError:
            return "no error log was written"
        errors = [line for line in text if "ERROR" in line] or text
        return " | ".join(errors[-lines:])


def _alive(pid: int) -> bool:
    try:
        # Reap the server if this process started it, so a zombie does not look alive.
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
