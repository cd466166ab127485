"""Splitting SQL text into statements the way the mysql client does (DELIMITER included)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import SqlFileError

DELIMITER_COMMAND = re.compile(r"delimiter[ \t]+(\S+)[^\n]*(?:\n|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    """One statement and the line of the file it starts on."""

    sql: str
    line: int


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
