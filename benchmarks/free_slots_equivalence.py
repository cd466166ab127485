"""find_free_slots against an earlier version of itself: identical rows, and server CPU per call.

Loads sql/routines/find_free_slots.sql as it was at --reference (a git revision) under the
name find_free_slots_ref, calls both with the same random (doctor or department, window,
max) and compares the rows exactly, then drops the copy. Windows start from 10 days before
today to 60 days after the last appointment, so they meet bookings (claims), leave,
holidays and weekends, and some start or end between two 15-minute steps; max is 1-50.
The CPU figure is the server thread's own time (/proc/<server pid>/task/<thread>/schedstat,
first field), calls interleaved A/B, so other load on the machine moves it little; it
needs the server on this machine.

    HMS_HOME=/tmp/h .venv/bin/python benchmarks/free_slots_equivalence.py --database d --calls 1000
"""

from __future__ import annotations

import random
import subprocess
from datetime import date, timedelta
from pathlib import Path

import harness

from hms.connection import session

ROUTINE = "sql/routines/find_free_slots.sql"
COPY = "find_free_slots_ref"
OFF_STEP = (0, 0, 0, 1, 7, 14)      # minutes past a 15-minute step: windows that start or end between steps


def reference_body(revision: str) -> str:
    """The CREATE PROCEDURE of find_free_slots at `revision`, renamed to the copy."""
    text = subprocess.run(["git", "-C", str(harness.ROOT), "show", f"{revision}:{ROUTINE}"],
                          capture_output=True, text=True)
    if text.returncode != 0:
        harness.fail(f"cannot read {ROUTINE} at '{revision}'", "Pass a revision of this repository as --reference")
    body = text.stdout.split("DELIMITER $$\n", 1)[1].rsplit("$$\nDELIMITER ;", 1)[0]
    return body.replace("PROCEDURE find_free_slots(", f"PROCEDURE {COPY}(", 1)


def thread_clock(cur):
    """A function giving this session's server thread CPU in ns, or None off this machine."""
    cur.execute("SELECT TID FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()")
    tid = cur.fetchone()[0]
    cur.execute("SELECT @@pid_file")
    try:
        pid = Path(cur.fetchone()[0]).read_text().split()[0]
        path = Path(f"/proc/{pid}/task/{tid}/schedstat")
        path.read_text()
    except OSError:
        return None
    return lambda: int(path.read_text().split()[0])


def call(cur, routine: str, args: tuple) -> list[tuple]:
    cur.execute(f"CALL {routine}(%s, %s, %s, %s, %s)", args)
    rows = list(cur.fetchall())
    while cur.nextset():
        pass
    return rows


def main() -> None:
    parser = harness.arguments(__doc__, database="hms")
    parser.add_argument("--reference", default="HEAD", help="git revision of the routine to compare with")
    parser.add_argument("--calls", type=int, default=1000, help="random calls (default 1000)")
    parser.add_argument("--department-share", type=float, default=0.7, help="share of department calls")
    args = parser.parse_args()
    rng = random.Random(16)
    with session(harness.login(args.database)) as conn, conn.cursor() as cur:
        cur.execute(f"DROP PROCEDURE IF EXISTS {COPY}")
        cur.execute(reference_body(args.reference))
        try:
            cur.execute("SELECT doctor_id, department_id FROM doctor WHERE doctor_id IN "
                        "(SELECT doctor_id FROM doctor_availability)")
            doctors = cur.fetchall()
            departments = sorted({d for _, d in doctors})
            cur.execute("SELECT MAX(starts_at) FROM appointment")
            last = cur.fetchone()[0].date()
            first = date.today() - timedelta(days=10)
            span = (last - first).days + 60
            clock = thread_clock(cur)
            spent = {COPY: 0, "find_free_slots": 0}
            counts = {"doctor": 0, "department": 0, "rows": 0, "empty": 0}
            for i in range(args.calls):
                day = first + timedelta(days=rng.randrange(span), minutes=15 * rng.randrange(96) + rng.choice(OFF_STEP))
                window = (day, day + timedelta(days=rng.choice((1, 2, 3, 7, 7, 14, 31)),
                                               minutes=15 * rng.randrange(96) + rng.choice(OFF_STEP)))
                most = rng.choice((1, 2, 3, 5, 10, 10, 10, 20, 50))
                if rng.random() < args.department_share:
                    what, given = "department", (None, rng.choice(departments))
                else:
                    what, given = "doctor", (rng.choice(doctors)[0], None)
                results = {}
                for routine in ((COPY, "find_free_slots") if i % 2 else ("find_free_slots", COPY)):
                    before = clock() if clock else 0
                    results[routine] = call(cur, routine, (*given, *window, most))
                    spent[routine] += (clock() - before) if clock else 0
                if results[COPY] != results["find_free_slots"]:
                    harness.fail(f"call {i} differs: find_free_slots{(*given, *window, most)} gave "
                                 f"{len(results['find_free_slots'])} rows, the reference {len(results[COPY])}",
                                 "Fix the routine")
                counts[what] += 1
                counts["rows"] += len(results[COPY])
                counts["empty"] += not results[COPY]
        finally:
            cur.execute(f"DROP PROCEDURE IF EXISTS {COPY}")
    print(f"identical rows over {args.calls} calls ({counts['doctor']} doctor, {counts['department']} department; "
          f"{counts['rows']} rows, {counts['empty']} empty) against {args.reference}")
    if clock:
        print(f"server thread CPU per call: reference {spent[COPY] / args.calls / 1e6:.3f} ms, "
              f"now {spent['find_free_slots'] / args.calls / 1e6:.3f} ms")


if __name__ == "__main__":
    main()
