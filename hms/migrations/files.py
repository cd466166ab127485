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

from ..errors import SqlFileError
from .statements import Statement, split_statements

SQL_ROOT = Path(__file__).resolve().parents[2] / "sql"
VERSIONED_DIRS = ("schema", "indexes")
# Order matters: roles grant EXECUTE on routines, and are re-applied after them.
REPEATABLE_DIRS = ("routines", "triggers", "roles")
VERSIONED_NAME = re.compile(r"^V(\d{1,6})__([a-z][a-z0-9_]*)\.sql$")
REPEATABLE_NAME = re.compile(r"^([a-z][a-z0-9_]*)\.sql$")


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


def discover(root: Path = SQL_ROOT, label: str = "sql") -> list[SqlFile]:
    """Return every migration file under `root`: versioned by version, then repeatables by group."""
    versioned: list[SqlFile] = []
    repeatable: list[SqlFile] = []
    seen_versions: dict[int, str] = {}
    prefix = label  # how names are shown: sql/... (or sql/console/... for the console schema)
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
