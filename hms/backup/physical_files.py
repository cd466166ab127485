"""The files of a physical backup: every file's size and sha256, checking them, and copying
them checked.

A physical backup's manifest lists each file under its data/ directory as
`{relative path: [bytes, sha256]}`; its `sha256` is the digest of that list (sorted
lines `path NUL bytes NUL sha256`), so one value stands for the whole backup in the
contract's JSON. Nothing of a backup is used before each of its files has been read
and matched against the list: restore and verify check while they copy, before any
prepare touches the copy.
"""

from __future__ import annotations

import concurrent.futures
import errno
import hashlib
import mmap
import multiprocessing
import os
import stat
import threading
import time
from pathlib import Path
from typing import Callable

from . import priority
from .errors import BackupError

CHUNK = 1 << 20
HASH_SPAN = 16 << 20  # bytes hashed per call on a mapped copy (hashlib lets other threads run meanwhile)
COPY_RANGE = 64 << 20  # bytes per copy_file_range call, so progress moves on large files
WORKERS = 2  # one file per core is enough to keep a disk busy while hashing
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700


def tree_files(root: Path) -> list[str]:
    """Return the regular files under `root` as sorted relative paths; BackupError for a link or device."""
    found = []
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory) / name
            mode = path.lstat().st_mode
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                raise BackupError(f"{path} is not a regular file (a link or a device)",
                                  "A physical backup holds regular files only; use another backup")
            found.append(path.relative_to(root).as_posix())
    return sorted(found)


def digest_tree(root: Path, *, low_priority: bool = False) -> dict[str, list]:
    """Return {relative path: [bytes, sha256 hex]} of every file under `root`.

    `low_priority`: the hashing runs in worker processes isolated at the lowest CPU and I/O
    priority (a backup of a live server: its clients come first).
    """
    names = tree_files(root)
    if low_priority:
        # Worker processes, not threads: a process can have a session and scheduling group
        # of its own, lowered as a whole (priority.isolate); a thread shares hms's.
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=context, initializer=priority.isolate) as pool:
            digests = list(pool.map(_digest, [root / name for name in names]))
    else:
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            digests = list(pool.map(lambda name: _digest(root / name), names))
    return dict(zip(names, digests))


def list_digest(files: dict[str, list]) -> str:
    """Return the sha256 of a file list (what a physical manifest's `sha256` is)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        size, sha = files[name]
        digest.update(f"{name}\0{size}\0{sha}\n".encode("utf-8"))
    return digest.hexdigest()


def total_bytes(files: dict[str, list]) -> int:
    return sum(int(size) for size, _ in files.values())


def problems(root: Path, files: dict[str, list], *, contents: bool = True) -> list[str]:
    """Return one line per file under `root` that differs from the list (none: intact).

    Missing, unlisted, resized and (with `contents`) changed files are named.
    """
    try:
        present = set(tree_files(root)) if root.is_dir() else set()
    except BackupError as exc:
        return [exc.what]
    lines = [f"{name} is missing" for name in sorted(set(files) - present)]
    lines += [f"{name} is not in its manifest" for name in sorted(present - set(files))]
    checked = sorted(set(files) & present)
    for name in checked:
        size = (root / name).stat().st_size
        if size != files[name][0]:
            lines.append(f"{name} is {size} bytes, its manifest says {files[name][0]} (truncated or changed)")
    if contents and not lines:
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            for name, (_, sha) in zip(checked, pool.map(lambda n: _digest(root / n), checked)):
                if sha != files[name][1]:
                    lines.append(f"{name} does not match its manifest's sha256 (corrupted or changed)")
    return lines


# (root, list digest, every file's size, mtime and inode) -> intact. Like manifest._intact:
# listing again in one process (the console) re-reads only a backup whose files changed.
_checked: dict[tuple, bool] = {}


def intact(root: Path, files: dict[str, list], sha256: str) -> bool:
    """True when every file under `root` matches `files` and `files` matches `sha256`."""
    if list_digest(files) != sha256:
        return False
    try:
        stats = tuple((name, st.st_size, st.st_mtime_ns, st.st_ino)
                      for name in sorted(files) for st in [(root / name).stat()])
    except OSError:
        return False
    key = (str(root), sha256, stats)
    if key not in _checked:
        _checked[key] = not problems(root, files)
    return _checked[key]


def copy_checked(name: str, root: Path, files: dict[str, list], destination: Path,
                 progress: Callable[[int], None] | None = None) -> None:
    """Copy every listed file of backup `name` from `root` into the new directory `destination`,
    checking each copy's size and sha256; BackupError at the first difference.

    The copy is private (0700 directories, 0600 files). On error the caller removes it.
    """
    quick = problems(root, files, contents=False)
    if quick:
        raise BackupError(f"{name} cannot be trusted: {quick[0]}"
                          + (f" (and {len(quick) - 1} more)" if len(quick) > 1 else ""),
                          "Use another backup; this one is damaged or incomplete")
    destination.mkdir(mode=PRIVATE_DIR, parents=True)
    lock = threading.Lock()

    def report(n: int) -> None:
        if progress:
            with lock:
                progress(n)

    def one(rel: str) -> str | None:
        target = destination / rel
        target.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        size, sha = _copy(root / rel, target, report)
        if size != files[rel][0]:
            return f"{rel} is {size} bytes, its manifest says {files[rel][0]} (truncated or changed)"
        if sha != files[rel][1]:
            return f"{rel} does not match its manifest's sha256 (corrupted or changed)"
        return None

    # Largest first, so the two workers end together.
    order = sorted(files, key=lambda rel: -int(files[rel][0]))
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        for problem in pool.map(one, order):
            if problem:
                raise BackupError(f"{name} cannot be trusted: {problem}",
                                  "Use another backup; this one is damaged; nothing was prepared from it")


def make_private(root: Path) -> None:
    """Take every directory under `root` to 0700 and every file to 0600 (whatever the tool's umask)."""
    os.chmod(root, PRIVATE_DIR)
    for directory, dirs, names in os.walk(root):
        for name in dirs:
            os.chmod(Path(directory) / name, PRIVATE_DIR)
        for name in names:
            os.chmod(Path(directory) / name, PRIVATE_FILE)


def fsync_tree(root: Path) -> None:
    """Flush every file and directory under `root` to disk (before the rename that publishes it)."""
    for directory, _, names in os.walk(root):
        for name in names:
            fd = os.open(Path(directory) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_tree(path: Path, retries: int = 3) -> None:
    """Remove a directory tree; a file vanishing meanwhile is not an error."""
    import shutil

    for attempt in range(retries):
        try:
            shutil.rmtree(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            if attempt == retries - 1:
                raise
            time.sleep(0.2)


def _digest(path: Path) -> list:
    digest, size = hashlib.sha256(), 0
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while n := handle.readinto(buffer):
            digest.update(view[:n])
            size += n
    return [size, digest.hexdigest()]


def _copy(source: Path, target: Path, report: Callable[[int], None]) -> tuple[int, str]:
    """Copy one file, then hash the copy itself; return the copy's (bytes, sha256).

    The kernel copies (copy_file_range: no pass through Python, a reflink where the file
    system can); the copy, still in the page cache, is then hashed where it lies (mapped,
    not read into a buffer): what is checked is exactly what will be prepared. Only the
    copy is mapped, never the backup's own file: that one could be truncated meanwhile by
    someone else, and a mapped file that shrinks kills the reader.
    """
    fd = os.open(target, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE)
    with open(source, "rb", buffering=0) as handle, os.fdopen(fd, "wb", buffering=0) as out:
        if not _kernel_copy(handle.fileno(), out.fileno(), report):
            buffer = bytearray(CHUNK)
            view = memoryview(buffer)
            while n := handle.readinto(buffer):
                written = 0
                while written < n:
                    written += out.write(view[written:n])
                report(n)
        return _digest_mapped(out.fileno())


def _digest_mapped(fd: int) -> tuple[int, str]:
    """(bytes, sha256) of our own private file `fd`, hashed through a read-only mapping (no copy into Python)."""
    size = os.fstat(fd).st_size
    digest = hashlib.sha256()
    if size:
        with mmap.mmap(fd, size, prot=mmap.PROT_READ) as mapped:
            if hasattr(mapped, "madvise") and hasattr(mmap, "MADV_SEQUENTIAL"):
                mapped.madvise(mmap.MADV_SEQUENTIAL)
            view = memoryview(mapped)
            try:
                for at in range(0, size, HASH_SPAN):
                    digest.update(view[at:at + HASH_SPAN])
            finally:
                view.release()
    return size, digest.hexdigest()


def _kernel_copy(source: int, target: int, report: Callable[[int], None]) -> bool:
    """Copy with copy_file_range; False (nothing copied) where the kernel or file system cannot."""
    copy = getattr(os, "copy_file_range", None)
    if copy is None:
        return False
    first = True
    while True:
        try:
            n = copy(source, target, COPY_RANGE)
        except OSError as exc:
            if first and exc.errno in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                return False
            raise
        if n == 0:
            return True
        first = False
        report(n)
