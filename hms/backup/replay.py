"""Loading a backup file into a database through the mysql / mariadb client."""

from __future__ import annotations

import gzip
import re
import subprocess
import threading
import zlib
from pathlib import Path
from typing import Callable

from .. import dialect as dialects
from ..connection import ConnectionInfo
from ..optionfiles import defaults_file
from .manifest import BackupError

try:  # ISA-L's inflate, several times faster than zlib's
    from isal import igzip as _gzip
except ImportError:  # pragma: no cover
    _gzip = gzip
from . import encryption
from .dump import start_tool
from .stream import TRAILER

READ_SIZE = 1 << 20
_INFLATE_ERRORS = getattr(getattr(_gzip, "isal_zlib", zlib), "error", zlib.error)
CLIENT_ERROR = re.compile(r"ERROR (?P<code>\d+) \((?P<state>\w+)\)(?: at line (?P<line>\d+))?: (?P<message>.*)")


class _Feeder(threading.Thread):
    """Decompresses the backup into the client's stdin, reporting compressed bytes read."""

    def __init__(self, path: Path, sink, progress: Callable[[int], None] | None):
        super().__init__(name="hms-restore-feed", daemon=True)
        self.path, self.sink, self.progress = path, sink, progress
        self.tail = b""
        self.error: str | None = None
        self.client_gone = False

    def run(self) -> None:
        try:
            with encryption.open_backup(self.path) as raw, _gzip.GzipFile(fileobj=raw, mode="rb") as plain:
                done = 0
                while chunk := plain.read(READ_SIZE):
                    self.tail = (self.tail + chunk)[-256:]
                    self.sink.write(chunk)
                    if self.progress:
                        position = raw.tell()
                        self.progress(position - done)
                        done = position
        except BrokenPipeError:
            self.client_gone = True  # the client stopped on an error; it says which
        except (EOFError, gzip.BadGzipFile, zlib.error, _gzip.BadGzipFile, _INFLATE_ERRORS) as exc:
            self.error = f"the file is not a complete gzip stream ({exc})"
        except OSError as exc:
            self.error = f"reading the file failed ({exc.strerror or exc})"
        finally:
            try:
                self.sink.close()
            except BrokenPipeError:
                self.client_gone = True

    @property
    def complete(self) -> bool:
        return TRAILER in self.tail


def load_into(info: ConnectionInfo, dialect: dialects.Dialect, path: Path, database: str,
              progress: Callable[[int], None] | None = None) -> None:
    """Run every statement of backup `path` in existing database `database`.

    Raises BackupError naming the statement that failed; the caller drops what it made.
    """
    client = dialect.client_binary()
    if client is None:
        raise BackupError(f"no {' or '.join(dialect.client_names)} client was found on PATH",
                          "Install the server's client package (mariadb-client or mysql-client)")
    with defaults_file(info) as cnf:
        args = ["--batch", "--binary-mode", "--default-character-set=utf8mb4",
                # A dump must never read the restoring machine's files (LOAD DATA LOCAL).
                "--local-infile=0", f"--database={database}"]
        proc = start_tool(client, cnf, args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        feeder = _Feeder(path, proc.stdin, progress)
        feeder.start()
        stderr = proc.stderr.read().decode("utf-8", "replace")
        feeder.join()
        if feeder.error and proc.poll() is None:
            proc.kill()
        code = proc.wait()
        proc.stderr.close()
    if feeder.error:
        raise BackupError(f"{path.name} cannot be restored: {feeder.error}",
                          "Use another backup; this one is damaged")
    if code != 0 or stderr.strip():
        raise BackupError(_client_failure(path, code, stderr), "Nothing was kept; fix the cause and try again")
    if not feeder.complete:
        raise BackupError(f"{path.name} ends before the dump's completion trailer (truncated)",
                          "Use another backup; this one is incomplete")


def _client_failure(path: Path, code: int, stderr: str) -> str:
    """Return which statement failed, and the server's message."""
    for line in stderr.splitlines():
        match = CLIENT_ERROR.search(line)
        if match:
            where = ""
            if match.group("line"):
                number = int(match.group("line"))
                where = f" at line {number} ({statement_at(path, number)})"
            return (f"restoring {path.name} failed{where}: {match.group('message').strip()} "
                    f"(error {match.group('code')})")
    first = next((line for line in stderr.splitlines() if line.strip()), f"exit code {code}")
    return f"restoring {path.name} failed: {first.strip()}"


def statement_at(path: Path, number: int, width: int = 100) -> str:
    """Return the start of line `number` of the decompressed backup, shortened for a message."""
    try:
        with encryption.open_backup(path) as raw, gzip.GzipFile(fileobj=raw, mode="rb") as plain:
            for index, line in enumerate(plain, start=1):
                if index == number:
                    text = line.decode("utf-8", "replace").strip()
                    return text if len(text) <= width else text[: width - 3] + "..."
    except (OSError, EOFError, zlib.error):
        pass
    return "statement not readable"
