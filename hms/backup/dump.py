"""Running the dump tool (mariadb-dump / mysqldump): its process, its pipe, and whether it succeeded.

The password reaches the tool through a 0600 option file, never its command line.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from pathlib import Path
from typing import Callable

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no pipes to widen
    fcntl = None

from .. import dialect as dialects
from ..connection import ConnectionInfo
from ..optionfiles import defaults_file
from .manifest import BackupError
from .stream import READ_SIZE, DumpStream, NullSink


def dump_digests(info: ConnectionInfo, dialect: dialects.Dialect, database: str) -> dict[str, str]:
    """Return {table: sha256 of its data section} of a fresh dump of `database` (nothing is written)."""
    dump_bin = dialect.dump_binary()
    if dump_bin is None:
        raise BackupError(f"no {' or '.join(dialect.dump_names)} was found on PATH",
                          "Install the server's client package (mariadb-client or mysql-client)")
    return run_dump(info.with_database(database), dialect, dump_bin, NullSink(), compress=False).digests


def run_dump(info: ConnectionInfo, dialect, dump_bin: str, sink, *, compress: bool = True, progress=None,
             during: Callable[[DumpStream, subprocess.Popen], None] | None = None) -> DumpStream:
    """Run the dump tool on `info.database` into `sink`; return its checked stream.

    `during` runs while the dump streams. Raises BackupError when the tool fails,
    complains, or stops before its completion trailer; OSError when writing fails.
    """
    with defaults_file(info) as cnf:
        proc = start_tool(dump_bin, cnf, [*dialects.dump_options(dialect), "--", info.database],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        stderr_chunks: list[bytes] = []
        err_thread = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()), daemon=True)
        err_thread.start()
        _widen_pipe(proc.stdout)
        stream = DumpStream(proc.stdout, sink, progress, compress=compress)
        stream.abort = proc.kill
        stream.start()
        try:
            if during:
                during(stream, proc)
        except BaseException:
            proc_kill(proc)
            raise
        finally:
            stream.join()
            code = proc.wait()
            err_thread.join()
            proc.stdout.close()
            proc.stderr.close()
    if stream.error is not None:
        raise stream.error
    _check_dump(dump_bin, code, b"".join(stderr_chunks).decode("utf-8", "replace"), stream)
    return stream


def start_tool(binary: str, defaults: Path, args: list[str], *, stdin, stdout) -> subprocess.Popen:
    """Start a client tool with its login in the `defaults` option file; stderr is piped."""
    try:
        return subprocess.Popen([binary, f"--defaults-extra-file={defaults}", *args], stdin=stdin, stdout=stdout,
                                stderr=subprocess.PIPE)
    except OSError as exc:
        raise BackupError(f"{Path(binary).name} could not be started ({exc.strerror})",
                          "Check the client tools are installed") from None


def _widen_pipe(pipe) -> None:
    """Give the dump tool's stdout pipe room for a whole read block (Linux only).

    With the default 64 KiB pipe the tool blocks as soon as we stop reading to digest
    and compress a 1 MiB block, so the two take turns instead of running side by side;
    a pipe as large as the block lets the tool write the next block meanwhile.
    """
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl else None
    if set_size is None:
        return
    with contextlib.suppress(OSError):  # above /proc/sys/fs/pipe-max-size: keep the default
        fcntl.fcntl(pipe.fileno(), set_size, READ_SIZE)


def proc_kill(proc: subprocess.Popen) -> None:
    """Kill a child process if it is still running."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _check_dump(dump_bin: str, code: int, stderr: str, stream: DumpStream) -> None:
    """Raise BackupError unless the tool exited 0, said nothing alarming and wrote its trailer."""
    tool = Path(dump_bin).name
    lines = [line for line in stderr.splitlines() if line.strip()]
    serious = [line for line in lines if "[Warning]" not in line]
    if code != 0:
        reason = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        detail = f": {serious[0].strip()}" if serious else ""
        raise BackupError(f"{tool} failed ({reason}){detail}",
                          _fix_for(serious[0] if serious else ""))
    if serious:
        raise BackupError(f"{tool} reported a problem: {serious[0].strip()}", _fix_for(serious[0]))
    if stream.problem:
        raise BackupError(f"{tool} could not dump everything: {stream.problem}",
                          "Grant the account the privileges listed under `hms backup create --help`")
    if not stream.complete:
        raise BackupError(f"{tool} stopped before the end of the dump (no completion trailer)",
                          "Check the server log, then try again")


def _fix_for(message: str) -> str:
    lowered = message.lower()
    if "access denied" in lowered or "privilege" in lowered:
        return "Grant the account the privileges listed under `hms backup create --help`"
    return "Check the server is running and the account may read the database, then try again"
