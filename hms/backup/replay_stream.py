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
GTID_COMMENT = re.compile(rb"\tGTID (\d+-\d+-\d+)")
GTID_SETS = re.compile(rb"^/\*M?!\d+ SET @@session\.(?:gtid_seq_no|server_id|gtid_domain_id)=\d+\*/")
USE = re.compile(rb"^use `((?:[^`]|``)+)`")
ACCOUNT_STATEMENT = re.compile(rb"^(?:GRANT|REVOKE|(?:CREATE|ALTER|DROP|RENAME) (?:USER|ROLE)|SET PASSWORD|"
                               rb"SET DEFAULT ROLE|FLUSH PRIVILEGES)\b", re.IGNORECASE)
FRAGMENT = re.compile(rb"^SET @binlog_fragment_(\d+)\s*=\s*'")
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
                pieces = (b"".join(pending) + chunk).split(DELIMITER)
                rest = pieces.pop()
                pending = [rest] if rest else []
                self._write(b"".join(self._piece(p + DELIMITER) for p in pieces))
            rest = b"".join(pending)
            self._write(self._piece(rest) if rest else b"")
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

    def _piece(self, piece: bytes) -> bytes:
        """Return what to send of one statement (with the comments before it)."""
        if b"\tGTID " in piece:
            found = GTID_COMMENT.findall(piece)
            if found:
                self.transactions += len(found)
                self.last_gtid = found[-1].decode()
                if self.progress:
                    self.progress(len(found))
        at = _statement_start(piece)
        head = piece[at: at + 200]
        if head.startswith(b"BINLOG "):
            self._check_rows(piece[at:])
            return piece
        if head.startswith(b"SET @binlog_fragment_"):
            self._keep_fragment(piece[at:])
            return piece
        if not self.preserve_gtids and GTID_SETS.match(head):
            return piece[:at]
        if self.databases is not None and head[:4].lower() == b"use ":
            match = USE.match(head)
            name = match.group(1).replace(b"``", b"`").decode("utf-8", "replace") if match else "?"
            if name not in self.databases:
                raise BackupError(f"the roll-forward reached a statement for database '{name}', outside "
                                  f"{_names(self.databases)}", "Nothing was kept; report this as a bug")
        if self.databases is None:
            return piece  # a whole server's history, replayed as it was
        if ACCOUNT_STATEMENT.match(head):
            self.skipped.append(head.split(b"\n", 1)[0][:80].decode("utf-8", "replace"))
            return piece[:at]
        return strip_definers(piece) if b"DEFINER=" in piece else piece

    def _keep_fragment(self, statement: bytes) -> None:
        match = FRAGMENT.match(statement)
        start = match.end()
        self._fragments[int(match.group(1))] = statement[start: statement.rindex(b"'")]

    def _check_rows(self, statement: bytes) -> None:
        """Decode a BINLOG statement's events; refuse a table map of a database not allowed."""
        if statement.startswith(b"BINLOG @binlog_fragment_"):
            encoded = b"".join(self._fragments[i] for i in sorted(self._fragments))
            self._fragments.clear()
        else:
            encoded = statement[statement.index(b"'") + 1: statement.rindex(b"'")]
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


def _statement_start(piece: bytes) -> int:
    """Offset of the first line of `piece` that is neither a comment nor blank."""
    at = 0
    while at < len(piece) and piece[at:at + 1] in (b"#", b"\n"):
        end = piece.find(b"\n", at)
        if end < 0:
            return len(piece)
        at = end + 1
    return at


def _names(databases: set[str]) -> str:
    return ", ".join(f"'{d}'" for d in sorted(databases))
