"""Row counts per table at a scale: the contract's rule, in one place.

At scale S a table holds max(floor, round(N x S)) rows, N its count at scale 1.0;
the reference tables (department, medication, department_medication, room) are
the same at every scale. round() is half-up, so scale 1.0 gives N exactly.
"""

from __future__ import annotations

import math

# Rows at scale 1.0 (mission.md section 1), in load order: a table comes after
# everything it references, so a partial load is still a consistent prefix.
FULL_COUNTS: dict[str, int] = {
    "department": 15,
    "medication": 1_000,
    "department_medication": 2_043,
    "receptionist": 30,
    "doctor": 3_000,
    "nurse": 6_000,
    "patient": 3_000_000,
    "room": 200,
    "appointment": 6_000_000,
    "billing": 6_000_000,
    "medical_record": 5_000_000,
    "prescription": 4_000_000,
    "prescription_medication": 8_002_130,
}
TABLES: tuple[str, ...] = tuple(FULL_COUNTS)
REFERENCE_TABLES = frozenset({"department", "medication", "department_medication", "room"})
FLOORS = {"doctor": 15, "nurse": 15, "receptionist": 1}
FULL_TOTAL = 32_014_418
assert sum(FULL_COUNTS.values()) == FULL_TOTAL


def row_count(table: str, scale: float) -> int:
    """Return how many rows `table` holds at `scale`."""
    full = FULL_COUNTS[table]
    if table in REFERENCE_TABLES:
        return full
    return max(FLOORS.get(table, 1), math.floor(full * scale + 0.5))


def counts(scale: float) -> dict[str, int]:
    """Return {table: rows} at `scale`, in load order."""
    return {table: row_count(table, scale) for table in TABLES}
