"""Reading a MariaDB binary log file ourselves: its event groups, their GTIDs and times, and
whether every event's checksum holds.

The roll-forward planner must know, before anything is written, where each transaction
starts and ends, when it committed, which GTID it carries and which tables it touches;
mariadb-binlog's text output is made for replay, not for that. Only the event headers
and the few bodies that say this are parsed (format description, GTID list, GTID,
table map, query), so a scan costs a read of the file and a CRC32 per event.

Format: a 4-byte magic, then events of a 19-byte header (timestamp, type, server id,
length, end position, flags) and a body; with binlog_checksum=CRC32 every event ends in
the CRC32 of the rest of it. MariaDB's GTID event opens each event group (transaction).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

from .errors import BackupError

MAGIC = b"\xfebin"
HEADER = struct.Struct("<IBIIIH")  # timestamp, type, server_id, event length, end position, flags
HEADER_LEN = HEADER.size

QUERY, STOP, ROTATE, FORMAT_DESCRIPTION, XID, TABLE_MAP = 2, 3, 4, 15, 16, 19
XA_PREPARE = 38
BINLOG_CHECKPOINT, GTID, GTID_LIST, START_ENCRYPTION = 161, 162, 163, 164
# Events that are never part of a transaction: a group ends before any of them.
STRUCTURAL = {STOP, ROTATE, FORMAT_DESCRIPTION, BINLOG_CHECKPOINT, GTID_LIST, START_ENCRYPTION}
GTID_STANDALONE, GTID_GROUP_COMMIT_ID = 1, 2  # flags2 of a GTID event
CHECKSUM_CRC32 = 1
IN_USE = 0x1  # the format description's flag for a file still open
ENDS_GROUP = (b"COMMIT", b"ROLLBACK", b"XA COMMIT", b"XA ROLLBACK")


@dataclass(frozen=True, order=True)
class Gtid:
    """One MariaDB GTID: domain, server id, sequence number."""

    domain: int
    server: int
    seq: int

    def __str__(self) -> str:
        return f"{self.domain}-{self.server}-{self.seq}"


@dataclass
class Group:
    """One event group (a transaction, or one DDL statement) of a binary log file."""

    gtid: Gtid
    start: int  # offset of its GTID event
    end: int = 0  # offset just after its last event: a --stop-position that includes it
    time: int = 0  # the latest timestamp of its events (the commit's), seconds since the epoch
    tables: set[tuple[str, str]] = field(default_factory=set)  # (database, table) its row events change
    databases: set[str] = field(default_factory=set)  # default databases of its statements
    complete: bool = False  # its COMMIT / XID (or its single DDL statement) was seen


@dataclass
class FileHeader:
    """What the start of a binary log file says."""

    checksums: bool  # events carry a CRC32
    server_version: str
    start_state: dict[int, Gtid]  # the GTID list event: the last GTID per domain before this file


def read_header(path: Path) -> FileHeader:
    """Return the format description and starting GTID state of binary log `path`."""
    with _open(path) as handle:
        for event in _events(path, handle):
            if event.header is not None:
                return event.header
    raise BackupError(f"{path.name} has no GTID list event", "It is not a MariaDB binary log with GTIDs")


def scan(path: Path, start: int = 0) -> Iterator[Group]:
    """Yield the event groups of binary log `path` that start at offset `start` or later.

    Every event's CRC32 is checked (from the beginning, so a damaged file is found
    wherever it is damaged); BackupError names the first event that does not hold.
    The last group of a file still being written is yielded with complete=False.
    """
    with _open(path) as handle:
        group: Group | None = None
        for event in _events(path, handle):
            if event.type == GTID or event.type in STRUCTURAL:
                if group is not None:
                    yield group
                    group = None
            if event.type == GTID:
                if event.offset >= start:
                    group = Group(gtid=event.gtid, start=event.offset)
                    standalone = event.standalone
                continue
            if group is None:
                continue
            group.end, group.time = event.end, max(group.time, event.timestamp)
            if event.type == TABLE_MAP and event.table:
                group.tables.add(event.table)
            elif event.type == XID or event.type == XA_PREPARE:
                group.complete = True
            elif event.type == QUERY:
                if event.database:
                    group.databases.add(event.database)
                if standalone or event.query.upper().startswith(ENDS_GROUP):
                    group.complete = True
        if group is not None:
            yield group


@dataclass
class _Event:
    offset: int
    end: int
    type: int
    timestamp: int
    gtid: Gtid | None = None
    standalone: bool = False
    table: tuple[str, str] | None = None
    database: str = ""
    query: bytes = b""
    header: FileHeader | None = None


def _open(path: Path) -> BinaryIO:
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise BackupError(f"the binary log {path.name} cannot be read ({exc.strerror})",
                          "Check the file exists and is readable") from None
    if handle.read(len(MAGIC)) != MAGIC:
        handle.close()
        raise BackupError(f"{path.name} is not a binary log (no magic number)",
                          "Use the server's own binary log files, or the archived copies")
    return handle


def _events(path: Path, handle: BinaryIO) -> Iterator[_Event]:
    """Yield every event of an open binary log, checked; the first with a `header` is the GTID list."""
    offset, checksums, version, table_map_post = len(MAGIC), False, "", 8
    while True:
        raw_header = handle.read(HEADER_LEN)
        if not raw_header:
            return
        if len(raw_header) < HEADER_LEN:
            raise _damaged(path, offset, "ends inside an event header")
        timestamp, kind, server_id, length, _end, _flags = HEADER.unpack(raw_header)
        if length < HEADER_LEN:
            raise _damaged(path, offset, f"has an event of impossible length {length}")
        body = handle.read(length - HEADER_LEN)
        if len(body) < length - HEADER_LEN:
            raise _damaged(path, offset, "ends inside an event (truncated)")
        if kind == FORMAT_DESCRIPTION:
            checksums = len(body) >= 5 and body[-5] == CHECKSUM_CRC32
            version = body[2:52].split(b"\0", 1)[0].decode("ascii", "replace")
            post_lengths = body[57:-5]
            if len(post_lengths) >= TABLE_MAP:
                table_map_post = post_lengths[TABLE_MAP - 1]
        if checksums:
            (crc,) = struct.unpack_from("<I", body, len(body) - 4)
            if kind == FORMAT_DESCRIPTION:  # its "file in use" flag is set and cleared outside the checksum
                raw_header = raw_header[:-2] + struct.pack("<H", _flags & ~IN_USE)
            if zlib.crc32(body[:-4], zlib.crc32(raw_header)) != crc:
                raise _damaged(path, offset, "has an event whose checksum does not match (corrupted)")
            body = body[:-4]
        event = _Event(offset=offset, end=offset + length, type=kind, timestamp=timestamp)
        if kind == GTID:
            seq, domain, flags2 = struct.unpack_from("<QIB", body, 0)
            event.gtid, event.standalone = Gtid(domain, server_id, seq), bool(flags2 & GTID_STANDALONE)
        elif kind == GTID_LIST:
            event.header = FileHeader(checksums=checksums, server_version=version, start_state=_gtid_list(body))
        elif kind == TABLE_MAP:
            event.table = _table(body, table_map_post)
        elif kind == QUERY:
            event.database, event.query = _query(body)
        yield event
        offset += length


def _gtid_list(body: bytes) -> dict[int, Gtid]:
    (count,) = struct.unpack_from("<I", body, 0)
    state = {}
    for index in range(count & ((1 << 28) - 1)):
        domain, server, seq = struct.unpack_from("<IIQ", body, 4 + 16 * index)
        state[domain] = Gtid(domain, server, seq)
    return state


def _table(body: bytes, post_header: int) -> tuple[str, str]:
    at = post_header
    db_len = body[at]
    database = body[at + 1: at + 1 + db_len]
    at += 2 + db_len
    table_len = body[at]
    table = body[at + 1: at + 1 + table_len]
    return database.decode("utf-8", "replace"), table.decode("utf-8", "replace")


def _query(body: bytes) -> tuple[str, bytes]:
    """(default database, statement text) of a query event."""
    _thread, _exec, db_len, _error, status_len = struct.unpack_from("<IIBHH", body, 0)
    at = 13 + status_len
    database = body[at: at + db_len].decode("utf-8", "replace")
    return database, body[at + db_len + 1:].lstrip()


def _damaged(path: Path, offset: int, what: str) -> BackupError:
    return BackupError(f"the binary log {path.name} {what} at byte {offset}",
                       "Use an intact copy (the server's or the archive's); this one cannot be replayed")
