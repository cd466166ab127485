"""The six roles' privileges as a matrix: one row per (object, privilege kinds held by the same
roles), one column per role, for the console's Privileges page. Built from the roles' SHOW GRANTS lines
(RoleSummary.privileges, 'SELECT, INSERT ON `hms`.* WITH GRANT OPTION'), sorted: server-wide
first, then databases, tables, then routines; privilege kinds alphabetically within each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BODY = re.compile(r"^(?P<privs>.+?) ON (?P<target>(?:PROCEDURE |FUNCTION )?\S+)(?P<option> WITH GRANT OPTION)?$")
# Privileges are comma-separated, but a column list ("SELECT (a, b)") holds commas too.
PRIVILEGE = re.compile(r"[^,(]+(?:\([^)]*\))?")
HELD, WITH_GRANT = "yes", "grant"


@dataclass
class Row:
    target: str            # `hms`.*, *.*, `hms`.`room`, PROCEDURE `hms`.`p`
    kind: str              # SELECT, EXECUTE, ALL PRIVILEGES, ... (kinds the same roles hold: "DELETE, INSERT")
    cells: dict[str, str]  # role name -> HELD, WITH_GRANT, or absent


@dataclass
class Matrix:
    roles: list[str]                                  # role names, in ROLES order
    objects: list[tuple[str, list[Row]]]              # (target, its rows), sorted
    other: dict[str, list[str]] = field(default_factory=dict)  # role -> lines that are no privilege (role grants)


def object_order(target: str) -> tuple:
    """Server-wide, then databases, then tables, then routines; by name within each."""
    routine = target.startswith(("PROCEDURE ", "FUNCTION "))
    bare = target.split(" ", 1)[-1]
    if bare == "*.*":
        rank = 0
    elif routine:
        rank = 3
    elif bare.endswith(".*"):
        rank = 1
    else:
        rank = 2
    return rank, bare.replace("`", "").lower(), target


def split_privileges(text: str) -> list[str]:
    return [p.strip() for p in PRIVILEGE.findall(text) if p.strip()]


def build(summaries) -> Matrix:
    """The matrix of `summaries` (hms.accounts.RoleSummary, one per role)."""
    roles = [s.role.name for s in summaries]
    cells: dict[tuple[str, str], dict[str, str]] = {}
    other: dict[str, list[str]] = {}
    for summary in summaries:
        for line in summary.privileges:
            match = BODY.match(line.strip())
            if not match:
                other.setdefault(summary.role.name, []).append(line)
                continue
            mark = WITH_GRANT if match.group("option") else HELD
            for kind in split_privileges(match.group("privs")):
                cells.setdefault((match.group("target"), kind), {})[summary.role.name] = mark
    # Kinds held by exactly the same roles on one object share a row: a superuser role's
    # thirty server-wide privileges read as one line, not thirty.
    grouped: dict[str, dict[tuple, list[str]]] = {}
    for (target, kind), held in cells.items():
        grouped.setdefault(target, {}).setdefault(tuple(sorted(held.items())), []).append(kind)
    ordered = []
    for target in sorted(grouped, key=object_order):
        rows = [Row(target, ", ".join(sorted(kinds)), dict(held)) for held, kinds in grouped[target].items()]
        ordered.append((target, sorted(rows, key=lambda row: row.kind)))
    return Matrix(roles, ordered, other)
