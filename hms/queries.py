"""The analyst queries in sql/queries/: finding them by name and streaming their rows.

Each file holds one SELECT and a header comment saying what it answers and which
index serves it. Results are read with an unbuffered cursor (PyMySQL SSCursor), so
a 6M-row result passes through the client a row at a time and never sits in memory.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pymysql
import pymysql.cursors

from . import errcodes
from .connection import ConnectionInfo, error_code, session
from .errors import QueryError
from .migrations import SQL_ROOT, split_statements

QUERIES_DIR = SQL_ROOT / "queries"
QUERY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# The tables every query reads from; a database without them was never migrated.
CHECK_SEEDED = "SELECT EXISTS (SELECT 1 FROM patient), EXISTS (SELECT 1 FROM appointment)"


@dataclass(frozen=True)
class NamedQuery:
    """One file of sql/queries/: its name, header comment and the SELECT it runs."""

    name: str
    path: Path
    header: str
    sql: str

    @property
    def summary(self) -> str:
        """The header's first sentence: what the query answers."""
        first = self.header.split("\n\n", 1)[0].replace("\n", " ")
        return first.split(": ", 1)[0] if ": " in first[:60] else first.split(". ", 1)[0].rstrip(".")

    def limited(self, limit: int | None) -> tuple[str, tuple]:
        """The statement and its arguments, with LIMIT bound when a limit is given.

        The limit goes on the statement itself, so the server stops early instead of
        the client discarding the rest of a 6M-row result.
        """
        if limit is None:
            return self.sql, ()
        return f"{self.sql}\n LIMIT %s", (limit,)


def list_queries(directory: Path = QUERIES_DIR) -> list[NamedQuery]:
    """Every query under `directory`, by name."""
    return [_load(path) for path in sorted(directory.glob("*.sql"))]


def get_query(name: str, directory: Path = QUERIES_DIR) -> NamedQuery:
    """The query called `name`; raises QueryError naming the way to list them."""
    path = directory / f"{name}.sql"
    if not QUERY_NAME.fullmatch(name or "") or not path.is_file():
        raise QueryError(f"there is no query named '{name}'",
                         "Run `hms query --list` to see the query names")
    return _load(path)


def _load(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    header_lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header_lines.append(line[2:].strip())
    statements = split_statements(text, f"sql/queries/{path.name}")
    if len(statements) != 1 or not statements[0].sql.upper().startswith(("SELECT", "WITH")):
        raise QueryError(f"sql/queries/{path.name} does not hold exactly one SELECT",
                         "Keep one SELECT per query file")
    return NamedQuery(name=path.stem, path=path, header="\n".join(header_lines),
                      sql=statements[0].sql.rstrip(";").rstrip())


def check_seeded(conn, database: str) -> None:
    """Raise QueryError saying what to run first when `database` is not migrated or holds no data."""
    try:
        with conn.cursor() as cur:
            cur.execute(CHECK_SEEDED)
            has_patients, has_appointments = cur.fetchone()
    except pymysql.err.ProgrammingError as exc:
        if error_code(exc) == errcodes.NO_SUCH_TABLE:
            raise QueryError(f"database '{database}' has no hms tables",
                             "Run `hms db migrate`, then `hms seed --scale 0.01`, first") from None
        raise
    if not (has_patients and has_appointments):
        raise QueryError(f"database '{database}' holds no dataset",
                         "Run `hms seed --scale 0.01` (or another scale) first")


@contextlib.contextmanager
def stream(info: ConnectionInfo, sql: str, args: tuple = (),
           check: bool = True) -> Iterator[tuple[list[str], Iterator[tuple]]]:
    """Yield (column names, row iterator) for `sql`, read row by row from the server.

    The connection is closed on leaving, even when the rows were not all read:
    closing the connection (not the cursor) avoids draining the rest of the result.
    """
    with session(info, cursorclass=pymysql.cursors.SSCursor) as conn:
        if check:
            check_seeded(conn, info.database or "")
        cur = conn.cursor()
        cur.execute(sql, args or None)
        columns = [d[0] for d in cur.description]
        yield columns, iter(cur.fetchone, None)
