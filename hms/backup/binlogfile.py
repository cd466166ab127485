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

import mmap
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

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
    with _Reader(path) as reader:
        for offset, length, kind, _timestamp, _server in reader.events():
            if kind == GTID_LIST:
                return FileHeader(checksums=reader.checksums, server_version=reader.version,
                                  start_state=_gtid_list(reader.body(offset, length)))
            if kind == GTID:
                break
    raise BackupError(f"{path.name} has no GTID list event", "It is not a MariaDB binary log with GTIDs")


def scan(path: Path, start: int = 0) -> Iterator[Group]:
    """Yield the event groups of binary log `path` that start at offset `start` or later.

    Every event's CRC32 is checked (from the beginning, so a damaged file is found
    wherever it is damaged); BackupError names the first event that does not hold.
    The last group of a file still being written is yielded with complete=False.
    """
    with _Reader(path) as reader:
        group: Group | None = None
        standalone = False
        for offset, length, kind, timestamp, server_id in reader.events():
            if kind == GTID or kind in STRUCTURAL:
                if group is not None:
                    yield group
                    group = None
                if kind == GTID and offset >= start:
                    seq, domain, flags2 = struct.unpack_from("<QIB", reader.data, offset + HEADER_LEN)
                    group = Group(gtid=Gtid(domain, server_id, seq), start=offset)
                    standalone = bool(flags2 & GTID_STANDALONE)
                continue
            if group is None:
                continue
            group.end = offset + length
            if timestamp > group.time:
                group.time = timestamp
            if kind == TABLE_MAP:
                group.tables.add(_table(reader.body(offset, length), reader.table_map_post))
            elif kind == XID or kind == XA_PREPARE:
                group.complete = True
            elif kind == QUERY:
                database, query = _query(reader.body(offset, length))
                if database:
                    group.databases.add(database)
                if standalone or query.upper().startswith(ENDS_GROUP):
                    group.complete = True
        if group is not None:
            yield group


class _Reader:
    """A binary log file mapped into memory, its events walked and checked one by one."""

    def __init__(self, path: Path):
        self.path = path
        self.checksums, self.version, self.table_map_post = False, "", 8
        try:
            with open(path, "rb") as handle:
                self.data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            raise _not_binlog(path) from None
        except OSError as exc:
            raise BackupError(f"the binary log {path.name} cannot be read ({exc.strerror})",
                              "Check the file exists and is readable") from None
        if self.data[:len(MAGIC)] != MAGIC:
            self.data.close()
            raise _not_binlog(path)

    def __enter__(self) -> "_Reader":
        return self

    def __exit__(self, *exc) -> None:
        self.data.close()

    def body(self, offset: int, length: int) -> bytes:
        """The body of the event at `offset`, without its header and checksum."""
        return self.data[offset + HEADER_LEN: offset + length - (4 if self.checksums else 0)]

    def events(self) -> Iterator[tuple[int, int, int, int, int]]:
        """Yield (offset, length, type, timestamp, server id) of every event, each checked."""
        data, size, offset = self.data, len(self.data), len(MAGIC)
        unpack, crc32 = HEADER.unpack_from, zlib.crc32
        while offset < size:
            if offset + HEADER_LEN > size:
                raise _damaged(self.path, offset, "ends inside an event header")
            timestamp, kind, server_id, length, _end, flags = unpack(data, offset)
            if length < HEADER_LEN:
                raise _damaged(self.path, offset, f"has an event of impossible length {length}")
            if offset + length > size:
                raise _damaged(self.path, offset, "ends inside an event (truncated)")
            if kind == FORMAT_DESCRIPTION:
                self._format_description(offset, length)
            if self.checksums:
                (crc,) = struct.unpack_from("<I", data, offset + length - 4)
                if kind == FORMAT_DESCRIPTION:  # its "file in use" flag is set and cleared outside the checksum
                    head = data[offset: offset + HEADER_LEN - 2] + struct.pack("<H", flags & ~IN_USE)
                    actual = crc32(data[offset + HEADER_LEN: offset + length - 4], crc32(head))
                else:
                    actual = crc32(data[offset: offset + length - 4])
                if actual != crc:
                    raise _damaged(self.path, offset, "has an event whose checksum does not match (corrupted)")
            yield offset, length, kind, timestamp, server_id
            offset += length

    def _format_description(self, offset: int, length: int) -> None:
        body = self.data[offset + HEADER_LEN: offset + length]
        self.checksums = len(body) >= 5 and body[-5] == CHECKSUM_CRC32
        self.version = body[2:52].split(b"\0", 1)[0].decode("ascii", "replace")
        post_lengths = body[57:-5]
        if len(post_lengths) >= TABLE_MAP:
            self.table_map_post = post_lengths[TABLE_MAP - 1]


def _gtid_list(body: bytes) -> dict[int, Gtid]:
    (count,) = struct.unpack_from("<I", body, 0)
    state = {}
    for index in range(count & ((1 << 28) - 1)):
        domain, server, seq = struct.unpack_from("<IIQ", body, 4 + 16 * index)
        if domain not in state or seq > state[domain].seq:  # one entry per server id: the domain's last is the highest
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


def _not_binlog(path: Path) -> BackupError:
    return BackupError(f"{path.name} is not a binary log (no magic number)",
                       "Use the server's own binary log files, or the archived copies")


def _damaged(path: Path, offset: int, what: str) -> BackupError:
    return BackupError(f"the binary log {path.name} {what} at byte {offset}",
                       "Use an intact copy (the server's or the archive's); this one cannot be replayed")
