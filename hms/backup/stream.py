"""The dump's byte stream: DEFINER clauses out, gzip and sha256 on the way to disk."""

from __future__ import annotations

import hashlib
import re
import threading
import zlib
from typing import BinaryIO, Callable

try:  # ISA-L's deflate: the same gzip format, several times faster than zlib at level 1
    from isal import isal_zlib as _deflate
except ImportError:  # pragma: no cover - isal is a pinned dependency; zlib still works
    _deflate = zlib

# Statement heads that may carry a DEFINER: CREATE DEFINER=... FUNCTION|PROCEDURE,
# /*!50017 DEFINER=...*/ (triggers), /*!50117 DEFINER=...*/ (events) and
# /*!50013 DEFINER=... SQL SECURITY ... */ (views). Data lines start with INSERT and
# are never rewritten, so a value that happens to read "DEFINER=" is left alone.
_ACCOUNT_PART = rb"(?:`(?:[^`]|``)*`|'(?:[^'\\]|\\.|'')*'|[A-Za-z0-9_.%$-]+)"
_ACCOUNT = _ACCOUNT_PART + rb"@" + _ACCOUNT_PART
COMMENTED_DEFINER = re.compile(rb"/\*!\d{5} DEFINER=" + _ACCOUNT + rb"\s*\*/ ?")
DEFINER = re.compile(rb"\bDEFINER=" + _ACCOUNT + rb" ?")
STATEMENT_HEADS = (b"CREATE ", b"/*!")

# Lines that the dump tool writes only after its consistent snapshot has started.
AFTER_SNAPSHOT = (b"\n-- Table structure for table", b"\n-- Temporary view structure",
                  b"\n-- Temporary table structure", b"\n-- Dumping events", b"\n-- Dumping routines",
                  b"\n-- Dump completed")
TRAILER = b"\n-- Dump completed"
NO_PRIVILEGE = b"\n-- insufficient privileges"
GZIP_LEVEL = 1  # level 1 keeps compression ahead of the dump tool on a small machine
READ_SIZE = 1 << 20
DATA_START = b"\n-- Dumping data for table `"
DATA_END = b"\nUNLOCK TABLES;\n"


def strip_definers(block: bytes) -> bytes:
    """Return `block` (whole lines) with DEFINER clauses removed from statement heads."""
    if b"DEFINER=" not in block:
        return block
    out = []
    for line in block.split(b"\n"):
        if line.startswith(STATEMENT_HEADS) and b"DEFINER=" in line:
            line = COMMENTED_DEFINER.sub(b"", line)
            line = DEFINER.sub(b"", line)
        out.append(line)
    return b"\n".join(out)


class HashingWriter:
    """A file wrapper counting and hashing every byte written."""

    def __init__(self, handle: BinaryIO):
        self.handle = handle
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes) -> None:
        if data:
            self.handle.write(data)
            self.sha256.update(data)
            self.bytes += len(data)


class NullSink:
    """A sink that keeps nothing (a dump read only for its digests)."""

    def write(self, data: bytes) -> None:
        pass


class DumpStream:
    """Copies a dump tool's stdout into a gzip file (or nowhere), on its own thread.

    `snapshot_started` is set once the tool has begun its consistent snapshot
    (or finished); `problem` holds anything wrong with the content itself;
    `digests` maps each table to the sha256 of its data section, the fingerprint
    of its contents in the dump's own text.
    """

    def __init__(self, source: BinaryIO, sink: HashingWriter | NullSink,
                 progress: Callable[[int], None] | None = None, compress: bool = True):
        self.source = source
        self.sink = sink
        self.compress = compress
        self._hashes: dict[str, "hashlib._Hash"] = {}
        self._section = None  # the hash of the table whose rows are streaming, if any
        self.progress = progress
        self.snapshot_started = threading.Event()
        self.tail = b""
        self.plain_bytes = 0
        self.problem: str | None = None
        self.error: BaseException | None = None
        self.abort: Callable[[], None] | None = None  # stops the tool when writing fails
        self.thread = threading.Thread(target=self._run, name="hms-dump-stream", daemon=True)

    def start(self) -> "DumpStream":
        self.thread.start()
        return self

    def join(self) -> None:
        self.thread.join()

    @property
    def complete(self) -> bool:
        """True when the dump ended with the tool's completion trailer."""
        return TRAILER in self.tail[-200:]

    def _run(self) -> None:
        try:
            self._copy()
        except BaseException as exc:  # re-raised by the caller after the tool is reaped
            self.error = exc
            if self.abort:
                self.abort()
            # Keep draining so the tool never blocks on a full pipe while we clean up.
            while self.source.read(READ_SIZE):
                pass
        finally:
            self.snapshot_started.set()

    def _copy(self) -> None:
        # gzip by hand (zlib, wbits 31) so the header carries no file name or mtime:
        # the same dump always compresses to the same bytes.
        compressor = _deflate.compressobj(GZIP_LEVEL, _deflate.DEFLATED, 31) if self.compress else None
        carry = b""
        while True:
            chunk = self.source.read(READ_SIZE)
            if not chunk:
                break
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            block, carry = data[:cut], data[cut:]
            self._take(block, compressor)
        if carry:
            self._take(carry, compressor)
        if compressor:
            self.sink.write(compressor.flush())

    def _take(self, block: bytes, compressor) -> None:
        self._watch(block)
        self._digest(block)
        block = strip_definers(block)
        if compressor:
            self.sink.write(compressor.compress(block))
        self.plain_bytes += len(block)
        if self.progress:
            self.progress(len(block))

    def _digest(self, block: bytes) -> None:
        """Hash each table's data section: the bytes after its `-- Dumping data for table`
        line up to its UNLOCK TABLES. Blocks are whole lines, so the markers never straddle
        two blocks; a virtual newline in front finds a marker on the block's first line."""
        text = b"\n" + block
        pos = 1
        while pos < len(text):
            if self._section is None:
                start = text.find(DATA_START, pos - 1)
                if start < 0:
                    return
                eol = text.find(b"\n", start + 1)
                name = text[start + len(DATA_START): text.rfind(b"`", start, eol)]
                table = name.replace(b"``", b"`").decode("utf-8", "replace")
                self._section = self._hashes.setdefault(table, hashlib.sha256())
                pos = eol
            else:
                end = text.find(DATA_END, pos - 1)
                if end < 0:
                    self._section.update(text[pos:])
                    return
                self._section.update(text[pos:end + 1])
                self._section = None
                pos = end + 1

    @property
    def digests(self) -> dict[str, str]:
        """{table: sha256 of its data section}; tables without rows are absent."""
        return {table: digest.hexdigest() for table, digest in sorted(self._hashes.items())}

    def _watch(self, block: bytes) -> None:
        window = self.tail[-64:] + block
        if not self.snapshot_started.is_set() and any(m in window for m in AFTER_SNAPSHOT):
            self.snapshot_started.set()
        if NO_PRIVILEGE in window and self.problem is None:
            start = window.index(NO_PRIVILEGE) + 1
            self.problem = window[start:window.find(b"\n", start)].decode("utf-8", "replace").lstrip("- ")
        self.tail = window[-256:]
