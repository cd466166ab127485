"""Backup files encrypted with the installation's key: authenticated, in streaming chunks.

A home made with `hms server start --encrypt` holds a backup key ($HMS_HOME/keys/backup.key,
0600, hms/encryption.py). While it exists every logical backup file is written through
`sink()` and read back through `open_backup()`; without it both pass bytes through as before.

Format: the magic line `HMSENC1\\n`, an 8-byte random file id, then frames of
`<4-byte big-endian length><AES-256-GCM ciphertext and tag>` of up to 1 MiB of plaintext.
Frame n's nonce is the file id and n; its associated data the magic, file id, n and whether
it is the last frame. So a frame changed, dropped, reordered, swapped in from another file,
or a file cut short after any frame is refused when read, before a byte of it is used.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import BackupError

MAGIC = b"HMSENC1\n"
CHUNK = 1 << 20
_LENGTH = struct.Struct(">I")


def backup_key() -> bytes | None:
    """The installation's backup encryption key, or None when backups are not encrypted here."""
    from ..encryption import load_backup_key

    return load_backup_key()


def is_encrypted(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


class EncryptingSink:
    """Wraps a HashingWriter: plaintext in, encrypted frames out (hashes and counts the file's bytes)."""

    def __init__(self, inner, key: bytes):
        self.inner = inner
        self._aead = AESGCM(key)
        self._file_id = os.urandom(8)
        self._counter = 0
        self._buffer = bytearray()
        inner.write(MAGIC + self._file_id)

    @property
    def sha256(self):
        return self.inner.sha256

    @property
    def bytes(self) -> int:
        return self.inner.bytes

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._frame(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]

    def finish(self) -> None:
        """Write the last frame (possibly empty): a reader refuses a file without it."""
        self._frame(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _frame(self, plain: bytes, last: bool) -> None:
        nonce = self._file_id + _LENGTH.pack(self._counter)
        sealed = self._aead.encrypt(nonce, plain, _aad(self._file_id, self._counter, last))
        self.inner.write(_LENGTH.pack(len(sealed)) + sealed)
        self._counter += 1


class DecryptingReader(io.RawIOBase):
    """A read-only file object giving back the plaintext of an encrypted backup; tell() is the file's position."""

    def __init__(self, path: Path, key: bytes):
        super().__init__()
        self._raw = open(path, "rb")
        if self._raw.read(len(MAGIC)) != MAGIC:
            self._raw.close()
            raise BackupError(f"{Path(path).name} is not an encrypted backup", "")
        self._file_id = self._raw.read(8)
        self._aead = AESGCM(key)
        self._counter = 0
        self._plain = b""
        self._done = False
        self.name = str(path)

    def _next(self) -> None:
        head = self._raw.read(_LENGTH.size)
        if len(head) < _LENGTH.size:
            raise BackupError(f"{Path(self.name).name} is cut short: its encrypted stream has no last frame",
                              "Use another backup; this one is incomplete")
        sealed = self._raw.read(_LENGTH.unpack(head)[0])
        nonce = self._file_id + _LENGTH.pack(self._counter)
        at_end = self._raw.peek(1) == b"" if hasattr(self._raw, "peek") else False
        try:
            self._plain = self._aead.decrypt(nonce, sealed, _aad(self._file_id, self._counter, at_end))
        except InvalidTag:
            raise BackupError(f"{Path(self.name).name} fails its authentication at frame {self._counter}: "
                              "it was changed, cut short or encrypted with another installation's key",
                              "Use an intact backup, and this installation's keys ($HMS_HOME/keys)") from None
        self._done = at_end
        self._counter += 1

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while size < 0 or len(out) < size:
            if not self._plain:
                if self._done:
                    break
                self._next()
                continue
            take = len(self._plain) if size < 0 else min(size - len(out), len(self._plain))
            out += self._plain[:take]
            self._plain = self._plain[take:]
        return bytes(out)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._raw.close()
        super().close()


def sink(inner):
    """The writer a backup is dumped into: encrypting when this installation has a backup key."""
    key = backup_key()
    return EncryptingSink(inner, key) if key else inner


def finish(writer) -> None:
    """Close the encrypted stream (a no-op for a plain writer)."""
    if isinstance(writer, EncryptingSink):
        writer.finish()


def open_backup(path: Path):
    """The backup's (compressed) bytes as a file object: decrypted when it is encrypted."""
    if not is_encrypted(path):
        return open(path, "rb")
    key = backup_key()
    if key is None:
        raise BackupError(f"{Path(path).name} is encrypted and this installation has no backup key",
                          "Restore it where it was made, or copy that home's keys/backup.key (0600) here")
    return DecryptingReader(Path(path), key)


def _aad(file_id: bytes, counter: int, last: bool) -> bytes:
    return MAGIC + file_id + _LENGTH.pack(counter) + (b"\x01" if last else b"\x00")
