"""The guard between mariadb-binlog and the mariadb client during a roll-forward.

mariadb-binlog prints one statement per `/*!*/;` delimiter. On its way to the client,
every statement is looked at:

- the BINLOG statements (base64 row events) are decoded and each table map they carry
  must name an allowed database. BINLOG REPLAY lets an account apply row events to any
  table whatever its grants (MariaDB checks no table privilege for them: tested in
  tests/backup/test_pitr_security.py), so this check, not the account's grants, is what keeps a
  roll-forward inside its target database;
- `use` statements must name an allowed database;
- the GTID of each transaction (SET @@session.gtid_seq_no / server_id / gtid_domain_id)
  is dropped unless GTIDs are preserved: replayed into another database on the live
  server, the transactions get new GTIDs of this server (the originals are already in its
  binary log, and gtid_strict_mode refuses them twice), and replicas receive them;
- replaying one database (`databases` given): account statements (GRANT, CREATE USER,
  ...) are dropped and counted, since accounts are the server's, not the database's, and
  a recovered copy must not change them; DEFINER clauses are removed (the replaying
  account owns what it creates, as with a dump). A whole server's history
  (`databases=None`, a new server home) goes through as it was.

It also counts the transactions that went through, for progress.
"""

from __future__ import annotations

import binascii
import re
import struct
import threading
from typing import BinaryIO, Callable

from .errors import BackupError
from .stream import strip_definers

DELIMITER = b"/*!*/;\n"
READ_SIZE = 1 << 20
# Where a statement starts: the stream's start or just after a delimiter, then comment lines.
# Statements are matched only there, never inside another statement's text.
STATEMENT = rb"(?:\A|(?<=/\*!\*/;\n))(?:#[^\n]*\n|\n)*"
GTID_COMMENT = re.compile(rb"\tGTID (\d+-\d+-\d+)")
GTID_SETS = re.compile(rb"/\*M?!100001 SET @@session\.(?:gtid_seq_no|server_id|gtid_domain_id)=\d+\*//\*!\*/;\n")
ROWS_START = b"\nBINLOG '"
FRAGMENTS = re.compile(STATEMENT + rb"(?:BINLOG '(?P<rows>[^']*)'|SET @binlog_fragment_(?P<n>\d+)\s*=\s*'(?P<part>[^']*)'"
                       rb"|(?P<joined>BINLOG @binlog_fragment_))")
QUERY_EVENT = b"\tQuery\t"  # only query events (DDL, account statements, use) carry statements other than BINLOG
USE = re.compile(STATEMENT + rb"use `(?P<name>(?:[^`]|``)+)`", re.IGNORECASE)
ACCOUNT_WORDS = (b"grant ", b"revoke ", b" user ", b" role ", b"set password", b"set default role", b"flush privileges")
ACCOUNT_STATEMENT = re.compile(STATEMENT + rb"(?P<statement>(?:GRANT|REVOKE|(?:CREATE|ALTER|DROP|RENAME) (?:USER|ROLE)|"
                               rb"SET PASSWORD|SET DEFAULT ROLE|FLUSH PRIVILEGES)\b.*?/\*!\*/;\n)",
                               re.IGNORECASE | re.DOTALL)
TABLE_MAP, FORMAT_DESCRIPTION = 19, 15


class ReplayGuard(threading.Thread):
    """Copies mariadb-binlog's output to the client, checking and filtering each statement."""

    def __init__(self, source: BinaryIO, sink: BinaryIO, *, databases: set[str] | None, preserve_gtids: bool,
                 progress: Callable[[int], None] | None = None):
        super().__init__(name="hms-rollforward-guard", daemon=True)
        self.source, self.sink, self.progress = source, sink, progress
        self.databases, self.preserve_gtids = databases, preserve_gtids
        self.transactions = 0
        self.last_gtid: str | None = None
        self.skipped: list[str] = []  # account statements left out
        self.error: BackupError | None = None
        self.client_gone = False
        self._fragments: dict[int, bytes] = {}
        self._table_map_post = 8

    def run(self) -> None:
        try:
            pending: list[bytes] = []  # read, not yet ending in a delimiter (a large row event spans many reads)
            while chunk := self.source.read(READ_SIZE):
                tail = pending[-1][-len(DELIMITER):] if pending else b""
                if DELIMITER not in tail + chunk:
                    pending.append(chunk)
                    continue
                data = b"".join(pending) + chunk
                cut = data.rfind(DELIMITER) + len(DELIMITER)
                pending = [data[cut:]] if cut < len(data) else []
                self._write(self._block(data[:cut]))
            rest = b"".join(pending)
            self._write(self._block(rest) if rest else b"")
        except BackupError as exc:
            self.error = exc
        except BrokenPipeError:
            self.client_gone = True  # the client stopped on an error; it says which
        finally:
            try:
                self.sink.close()
            except BrokenPipeError:
                self.client_gone = True
            if self.error is not None:
                self.source.close()  # mariadb-binlog stops on a closed pipe

    def _write(self, data: bytes) -> None:
        if data:
            self.sink.write(data)

    def _block(self, block: bytes) -> bytes:
        """Return what to send of whole statements `block` (a block always starts at a statement).

        Cheap byte searches decide which patterns a block needs: most blocks are row
        events only (BINLOG statements, GTIDs, COMMITs); the statement patterns run on
        the few that hold query events.
        """
        count = block.count(b"\tGTID ")
        if count:
            self.transactions += count
            self.last_gtid = GTID_COMMENT.search(block, block.rfind(b"\tGTID ")).group(1).decode()
            if self.progress:
                self.progress(count)
        queries = QUERY_EVENT in block
        if self.databases is not None:
            self._check_row_statements(block)
            if queries:
                for match in USE.finditer(block):
                    name = match.group("name").replace(b"``", b"`").decode("utf-8", "replace")
                    if name not in self.databases:
                        raise BackupError(f"the roll-forward reached a statement for database '{name}', outside "
                                          f"{_names(self.databases)}", "Nothing was kept; report this as a bug")
        if count and not self.preserve_gtids:
            block = GTID_SETS.sub(b"", block)
        if self.databases is None or not queries:
            return block  # a whole server's history goes as it was; row events need no more
        lowered = block.lower()
        if any(word in lowered for word in ACCOUNT_WORDS):
            block = ACCOUNT_STATEMENT.sub(self._leave_out, block)
        return strip_definers(block) if b"DEFINER=" in block else block

    def _check_row_statements(self, block: bytes) -> None:
        """Check every BINLOG statement of `block` (the rare fragmented ones through the full pattern)."""
        if b"@binlog_fragment_" in block:
            for match in FRAGMENTS.finditer(block):
                self._rows(match)
            return
        start = len(ROWS_START) - 1 if block.startswith(ROWS_START[1:]) else _after(block, ROWS_START, 0)
        while start >= 0:
            end = block.find(b"'", start)
            self._check_rows(block[start:end])
            start = _after(block, ROWS_START, end)

    def _leave_out(self, match: re.Match) -> bytes:
        """Drop an account statement (keeping the comments before it) and remember it."""
        self.skipped.append(match.group("statement").split(b"\n", 1)[0][:80].decode("utf-8", "replace"))
        return match.group(0)[: match.start("statement") - match.start()]

    def _rows(self, match: re.Match) -> None:
        if match.group("rows") is not None:
            self._check_rows(match.group("rows"))
        elif match.group("n") is not None:
            self._fragments[int(match.group("n"))] = match.group("part")
        else:
            encoded = b"".join(self._fragments[i] for i in sorted(self._fragments))
            self._fragments.clear()
            self._check_rows(encoded)

    def _check_rows(self, encoded: bytes) -> None:
        """Decode a BINLOG statement's events; refuse a table map of a database not allowed."""
        try:
            data = binascii.a2b_base64(encoded)
        except binascii.Error:
            raise BackupError("the roll-forward met a BINLOG statement that does not decode",
                              "Nothing was kept; check the binary log with mariadb-binlog") from None
        at = 0
        while at + 19 <= len(data):
            kind = data[at + 4]
            (length,) = struct.unpack_from("<I", data, at + 9)
            if length < 19:
                break
            body = at + 19
            if kind == FORMAT_DESCRIPTION and len(data) >= body + 57 + TABLE_MAP:
                self._table_map_post = data[body + 57 + TABLE_MAP - 1]
            elif kind == TABLE_MAP and self.databases is not None:
                pos = body + self._table_map_post
                database = data[pos + 1: pos + 1 + data[pos]].decode("utf-8", "replace")
                if database not in self.databases:
                    raise BackupError(f"the roll-forward reached row events for database '{database}', outside "
                                      f"{_names(self.databases)}", "Nothing was kept; report this as a bug")
            at += length


def _after(block: bytes, text: bytes, at: int) -> int:
    """The offset just after the next `text` in `block` from `at`, or -1."""
    found = block.find(text, at)
    return found + len(text) if found >= 0 else -1


def _names(databases: set[str]) -> str:
    return ", ".join(f"'{d}'" for d in sorted(databases))
