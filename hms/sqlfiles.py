"""The files under sql/: which kind each is, its checksum, and its statements.

Versioned files (schema, indexes) are named V<number>__<object>.sql and run once,
in version order. Repeatable files (routines, triggers, roles) are named after
their object and are re-run whenever they change. Files may use the mysql client's
DELIMITER command, read here the same way the client reads it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import SqlFileError

SQL_ROOT = Path(__file__).resolve().parent.parent / "sql"
VERSIONED_DIRS = ("schema", "indexes")
# Order matters: roles grant EXECUTE on routines, and are re-applied after them.
REPEATABLE_DIRS = ("routines", "triggers", "roles")
VERSIONED_NAME = re.compile(r"^V(\d{1,6})__([a-z][a-z0-9_]*)\.sql$")
REPEATABLE_NAME = re.compile(r"^([a-z][a-z0-9_]*)\.sql$")
DELIMITER_COMMAND = re.compile(r"delimiter[ \t]+(\S+)[^\n]*(?:\n|$)", re.IGNORECASE)


@dataclass(frozen=True)
class SqlFile:
    """One file under sql/: its kind, version (versioned only), object name and text."""

    path: Path
    relpath: str
    kind: str            # "versioned" or "repeatable"
    group: str           # schema, indexes, routines, triggers, roles
    object_name: str
    version: int | None
    text: str

    @property
    def checksum(self) -> str:
        """sha256 of the file with line endings normalised, so a CRLF checkout is not 'changed'."""
        return hashlib.sha256(self.text.replace("\r\n", "\n").encode("utf-8")).hexdigest()

    def statements(self) -> list["Statement"]:
        """Return the statements this file sends to the server, in order."""
        return split_statements(self.text, self.relpath)


@dataclass(frozen=True)
class Statement:
    """One statement and the line of the file it starts on."""

    sql: str
    line: int


def discover(root: Path = SQL_ROOT, label: str = "sql") -> list[SqlFile]:
    """Return every migration file under `root`: versioned by version, then repeatables by group."""
    versioned: list[SqlFile] = []
    repeatable: list[SqlFile] = []
    seen_versions: dict[int, str] = {}
    prefix = label  # how names are shown: sql/... (or sql/console/... for a companion schema)
    for group in VERSIONED_DIRS:
        for path in sorted((root / group).glob("*.sql")):
            match = VERSIONED_NAME.fullmatch(path.name)
            if not match:
                raise SqlFileError(f"{prefix}/{group}/{path.name} is not named V<number>__<object>.sql",
                                   "Rename it, e.g. V014__ward.sql")
            version = int(match.group(1))
            rel = f"{prefix}/{group}/{path.name}"
            if version in seen_versions:
                raise SqlFileError(f"{rel} and {seen_versions[version]} share version {version}",
                                   "Give each versioned file its own number")
            seen_versions[version] = rel
            versioned.append(_load(path, rel, "versioned", group, match.group(2), version))
    for group in REPEATABLE_DIRS:
        for path in sorted((root / group).glob("*.sql")):
            match = REPEATABLE_NAME.fullmatch(path.name)
            if not match:
                raise SqlFileError(f"{prefix}/{group}/{path.name} is not named <object>.sql in lower case",
                                   "Rename it after the object it creates")
            repeatable.append(_load(path, f"{prefix}/{group}/{path.name}", "repeatable", group,
                                    match.group(1), None))
    versioned.sort(key=lambda f: f.version)
    return versioned + repeatable


def _load(path: Path, rel: str, kind: str, group: str, name: str, version: int | None) -> SqlFile:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SqlFileError(f"{rel} is not UTF-8 text", "Save it as UTF-8") from None
    return SqlFile(path=path, relpath=rel, kind=kind, group=group, object_name=name,
                   version=version, text=text)


def split_statements(text: str, source: str = "<sql>") -> list[Statement]:
    """Split SQL text into statements the way the mysql client does.

    Honours DELIMITER lines, quotes ('', "", ``), and comments (-- , #, /* */);
    comments are dropped except /*! ... */ and /*+ ... */, which the server reads.
    """
    statements: list[Statement] = []
    delimiter = ";"
    buf: list[str] = []
    start_line = None
    line = 1
    i, n = 0, len(text)

    def flush(end_line: int) -> None:
        nonlocal buf, start_line
        sql = "".join(buf).strip()
        if sql:
            statements.append(Statement(sql, start_line or end_line))
        buf, start_line = [], None

    while i < n:
        ch = text[i]
        at_line_start = not "".join(buf).strip()
        if at_line_start and text[i] not in " \t\r\n":
            match = DELIMITER_COMMAND.match(text, i)
            if match and (i == 0 or text[i - 1] == "\n" or not "".join(buf).strip()):
                delimiter = match.group(1)
                line += match.group(0).count("\n")
                i = match.end()
                buf = []
                continue
        if ch == "\n":
            line += 1
        if ch in " \t\r\n":
            buf.append(ch)
            i += 1
            continue
        if start_line is None:
            start_line = line
        if text.startswith(delimiter, i):
            flush(line)
            i += len(delimiter)
            continue
        if ch in "'\"`":
            end = _end_of_quoted(text, i, ch)
            if end < 0:
                raise SqlFileError(f"{source}: unterminated {ch} quote starting on line {line}",
                                   "Close the quote")
            chunk = text[i:end]
            buf.append(chunk)
            line += chunk.count("\n")
            i = end
            continue
        if text.startswith("--", i) and (i + 2 >= n or text[i + 2] in " \t\r\n"):
            i = _end_of_line(text, i)
            if not "".join(buf).strip():
                start_line = None
            continue
        if ch == "#":
            i = _end_of_line(text, i)
            if not "".join(buf).strip():
                start_line = None
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise SqlFileError(f"{source}: unterminated /* comment starting on line {line}",
                                   "Close the comment with */")
            chunk = text[i:end + 2]
            line += chunk.count("\n")
            if text.startswith(("/*!", "/*+"), i):
                buf.append(chunk)
            elif not "".join(buf).strip():
                start_line = None
            i = end + 2
            continue
        buf.append(ch)
        i += 1
    if "".join(buf).strip():
        if delimiter != ";":
            raise SqlFileError(f"{source}: the statement starting on line {start_line} never reaches "
                               f"its delimiter {delimiter!r}", "End it with the delimiter, then DELIMITER ;")
        flush(line)
    return statements


def _end_of_quoted(text: str, start: int, quote: str) -> int:
    """Return the index just past the closing quote, or -1."""
    i, n = start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and quote != "`":
            i += 2
            continue
        if ch == quote:
            if i + 1 < n and text[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return -1


def _end_of_line(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end
