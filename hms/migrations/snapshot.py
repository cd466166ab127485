"""A comparable snapshot of a schema's objects, read from information_schema."""

from __future__ import annotations

from .history import HISTORY_TABLE
from .lock import LOCK_TABLE

TABLES = """
SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES
 WHERE TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE'
"""
COLUMNS = """
SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT,
       EXTRA, GENERATION_EXPRESSION, COLLATION_NAME
  FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s
"""
INDEXES = """
SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART
  FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s
 ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
"""
FOREIGN_KEYS = """
SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME,
       k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE
  FROM information_schema.KEY_COLUMN_USAGE AS k
  JOIN information_schema.REFERENTIAL_CONSTRAINTS AS r
    ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
   AND r.TABLE_NAME = k.TABLE_NAME
 WHERE k.TABLE_SCHEMA = %s AND k.REFERENCED_TABLE_NAME IS NOT NULL
 ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION
"""
CHECKS = """
SELECT t.TABLE_NAME, t.CONSTRAINT_NAME, c.CHECK_CLAUSE
  FROM information_schema.TABLE_CONSTRAINTS AS t
  JOIN information_schema.CHECK_CONSTRAINTS AS c
    ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME
 WHERE t.TABLE_SCHEMA = %s AND t.CONSTRAINT_TYPE = 'CHECK'
"""
ROUTINES = """
SELECT ROUTINE_TYPE, ROUTINE_NAME, ROUTINE_DEFINITION, IS_DETERMINISTIC, SQL_DATA_ACCESS,
       SECURITY_TYPE, DTD_IDENTIFIER, SQL_MODE
  FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s
"""
PARAMETERS = """
SELECT ROUTINE_TYPE, SPECIFIC_NAME, ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER
  FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = %s AND ORDINAL_POSITION > 0
 ORDER BY SPECIFIC_NAME, ORDINAL_POSITION
"""
TRIGGERS = """
SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_STATEMENT, SQL_MODE
  FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s
"""
VIEWS = """
SELECT TABLE_NAME, VIEW_DEFINITION, SECURITY_TYPE FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s
"""


# What each position of a description is, so a difference can name the field.
FIELDS = {
    "table": ("engine", "collation"),
    "column": ("position", "type", "nullable", "default", "extra", "generation expression", "collation"),
    "index": ("unique", "columns"),
    "foreign key": ("columns", "referenced table", "referenced columns", "rules"),
    "check": ("clause",),
    "routine": ("body", "deterministic", "data access", "security", "returns", "sql_mode", "parameters"),
    "trigger": ("event", "table", "timing", "body", "sql_mode"),
    "view": ("definition", "security"),
}


def snapshot(conn, schema: str, trigger_modes: bool = False) -> dict[str, dict[str, tuple]]:
    """Return {kind: {object name: comparable description}} for every object in `schema`.

    Names are the ones people use ('patient.email', 'idx_patient_name on patient');
    the schema's own name is replaced by '<schema>' so two schemas compare equal.
    trigger_modes adds each trigger's sql_mode (left out by default: backup manifests
    hold digests of the descriptions without it).
    """
    def rows(sql: str) -> list[tuple]:
        with conn.cursor() as cur:
            cur.execute(sql, (schema,))
            return [tuple(_neutral(v, schema) for v in row) for row in cur.fetchall()]

    skip = {HISTORY_TABLE, LOCK_TABLE}
    snap: dict[str, dict[str, tuple]] = {k: {} for k in
                                         ("table", "column", "index", "foreign key", "check",
                                          "routine", "trigger", "view")}
    for name, engine, collation in rows(TABLES):
        if name not in skip:
            snap["table"][name] = (engine, collation)
    for table, column, pos, ctype, nullable, default, extra, gen, collation in rows(COLUMNS):
        if table not in skip:
            snap["column"][f"{table}.{column}"] = (pos, ctype, nullable, default, extra, gen, collation)
    for table, index, non_unique, _seq, column, sub_part in rows(INDEXES):
        if table in skip:
            continue
        key = f"{index} on {table}"
        unique, columns = snap["index"].get(key, (not int(non_unique), ()))
        snap["index"][key] = (unique, columns + ((column, sub_part),))
    for table, name, column, ref_table, ref_column, on_update, on_delete in rows(FOREIGN_KEYS):
        key = f"{name} on {table}"
        cols, ref, ref_cols, rules = snap["foreign key"].get(key, ((), ref_table, (), (on_update, on_delete)))
        snap["foreign key"][key] = (cols + (column,), ref, ref_cols + (ref_column,), rules)
    for table, name, clause in rows(CHECKS):
        snap["check"][f"{name} on {table}"] = (" ".join(str(clause).split()),)
    params: dict[str, tuple] = {}
    for rtype, name, pos, mode, pname, dtd in rows(PARAMETERS):
        params[f"{rtype.lower()} {name}"] = params.get(f"{rtype.lower()} {name}", ()) + ((mode, pname, dtd),)
    for rtype, name, body, deterministic, access, security, returns, sql_mode in rows(ROUTINES):
        key = f"{rtype.lower()} {name}"
        snap["routine"][key] = (body, deterministic, access, security, returns, sql_mode,
                                params.get(key, ()))
    for name, event, table, timing, statement, sql_mode in rows(TRIGGERS):
        snap["trigger"][name] = (event, table, timing, statement) + ((sql_mode,) if trigger_modes else ())
    for name, definition, security in rows(VIEWS):
        snap["view"][name] = (definition, security)
    return snap


def split(have: dict, want: dict) -> tuple[list, list, list]:
    """Return the keys (sorted) missing from `have`, extra in `have`, and differing."""
    return (sorted(set(want) - set(have)), sorted(set(have) - set(want)),
            sorted(name for name in set(want) & set(have) if want[name] != have[name]))


def differences(live: dict, expected: dict) -> list[str]:
    """Return one line per object that is missing, extra or different in `live`."""
    lines: list[str] = []
    for kind in expected:
        want, have = expected[kind], live.get(kind, {})
        missing, extra, changed = split(have, want)
        lines += [f"{kind} {name}: in sql/, missing from the database" for name in missing]
        lines += [f"{kind} {name}: in the database, not in sql/" for name in extra]
        lines += [f"{kind} {name}: differs from sql/ {_which_fields(kind, have[name], want[name])}"
                  for name in changed]
    return lines


def _which_fields(kind: str, have: tuple, want: tuple) -> str:
    """'in sql_mode (database X, sql/ Y)': the fields that differ, with the first one's values."""
    names = FIELDS.get(kind, ())
    differing = [i for i in range(max(len(have), len(want)))
                 if (have[i] if i < len(have) else None) != (want[i] if i < len(want) else None)]
    if not differing or len(names) < max(len(have), len(want)):
        return f"(database {_short(have)}, sql/ {_short(want)})"
    first = differing[0]
    a, b = (side[first] if first < len(side) else None for side in (have, want))
    start = 0
    if isinstance(a, str) and isinstance(b, str):  # show where they part, not two identical openings
        start = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        start = max(0, start - 30)
        a, b = a[start:], b[start:]
    where = f" from character {start + 1}" if start else ""
    return (f"in {', '.join(names[i] for i in differing)} "
            f"({names[first]}{where}: database {_excerpt(a)}, sql/ {_excerpt(b)})")


def _excerpt(value) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 80 else text[:77] + "..."


def _neutral(value, schema: str):
    if isinstance(value, str):
        return value.replace(f"`{schema}`.", "`<schema>`.").replace(f"{schema}.", "<schema>.")
    return value


def _short(value: tuple) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 120 else text[:117] + "..."
