"""The walk-in queue (order kept by the database, also between desks racing) and
find_free_slots (templates minus bookings, leave and holidays; places of a slot)."""

from __future__ import annotations

from datetime import timedelta

from tests.scheduling.conftest import at, book, call, monday, refusal
from tests.support import query
from tests.support.races import race


def check_in(conn, department, patient) -> int:
    return call(conn, "CALL walkin_check_in(%s, %s, @hms_q)", (department, patient), out="@hms_q")


def call_next(conn, department):
    with conn.cursor() as cur:
        cur.execute("CALL walkin_call_next(%s, @hms_w, @hms_p, @hms_n)", (department,))
        cur.execute("SELECT @hms_w, @hms_p, @hms_n")
        return cur.fetchone()


def test_walk_ins_are_called_in_check_in_order(db, sched):
    department = sched.department()
    patients = [sched.patient() for _ in range(3)]
    assert [check_in(db, department, p) for p in patients] == [1, 2, 3]
    assert call_next(db, department)[1:] == (patients[0], 1)
    second = call_next(db, department)
    call(db, "CALL walkin_finish(%s, 'Seen')", (second[0],))
    assert call_next(db, department)[1:] == (patients[2], 3)
    assert call_next(db, department) == (None, None, None)
    assert query(db, "SELECT queue_number, status FROM walkin_visit WHERE department_id = %s ORDER BY queue_number",
                 (department,)) == [(1, "Called"), (2, "Seen"), (3, "Called")]


def test_desks_checking_in_and_calling_at_once_keep_one_order(db, sched, migrated):
    department = sched.department()
    patients = [sched.patient() for _ in range(8)]
    outcomes = race(migrated, lambda conn, i: check_in(conn, department, patients[i]), 8)
    assert sorted(o[1] for o in outcomes) == list(range(1, 9)), outcomes
    called = race(migrated, lambda conn, i: call_next(conn, department), 4)
    numbers = sorted(o[1][2] for o in called)
    assert numbers == [1, 2, 3, 4], called


def test_free_slots_leave_out_bookings_leave_and_holidays(db, sched):
    department = sched.department()
    doctor = sched.scheduled_doctor(department, start="09:00", end="11:00", slot=30, weekdays=[0])
    day = monday(100)
    book(db, sched.patient(), doctor, at(day, "09:30"), 60)
    with db.cursor() as cur:
        cur.execute("INSERT INTO doctor_leave (doctor_id, starts_at, ends_at) VALUES (%s, %s, %s)",
                    (doctor, at(day + timedelta(days=7), "00:00"), at(day + timedelta(days=8), "00:00")))
        cur.execute("INSERT INTO public_holiday VALUES (%s, 'Test')", (day + timedelta(days=14),))
    try:
        rows = query(db, "CALL find_free_slots(%s, NULL, %s, %s, 10)",
                     (doctor, at(day, "00:00"), at(day + timedelta(days=22), "00:00")))
        assert [r[1] for r in rows] == [at(day, "09:00"), at(day, "10:30")] + [
            at(day + timedelta(days=21), t) for t in ("09:00", "09:30", "10:00", "10:30")]
        by_department = query(db, "CALL find_free_slots(NULL, %s, %s, %s, 3)",
                              (department, at(day, "00:00"), at(day + timedelta(days=1), "00:00")))
        assert [(r[0], r[1]) for r in by_department] == [(doctor, at(day, "09:00")), (doctor, at(day, "10:30"))]
    finally:
        with db.cursor() as cur:
            cur.execute("DELETE FROM public_holiday WHERE holiday_date = %s", (day + timedelta(days=14),))


def test_a_doctors_free_slots_keep_to_a_window_whose_ends_fall_between_steps(db, sched):
    doctor = sched.scheduled_doctor(start="09:00", end="11:00", slot=30, weekdays=[0])
    day = monday(102)

    def starts(since, until):
        return [r[1] for r in query(db, "CALL find_free_slots(%s, NULL, %s, %s, 10)", (doctor, since, until))]

    assert starts(at(day, "09:07"), at(day, "10:31")) == [at(day, t) for t in ("09:30", "10:00", "10:30")]
    assert starts(at(day, "00:00"), at(day, "09:30")) == [at(day, "09:00")]
    assert starts(at(day, "09:00"), at(day, "09:01")) == [at(day, "09:00")]
    assert starts(at(day, "10:59"), at(day, "11:00")) == []
    # From after the day's hours: the walk goes on from the next working day's first slot.
    assert starts(at(day, "17:10"), at(day + timedelta(days=7), "09:01")) == [at(day + timedelta(days=7), "09:00")]


def test_free_slots_count_the_places_left(db, sched):
    doctor = sched.scheduled_doctor(start="09:00", end="10:00", slot=30, capacity=2, weekdays=[0])
    day = monday(101)
    book(db, sched.patient(), doctor, at(day, "09:00"))
    rows = query(db, "CALL find_free_slots(%s, NULL, %s, %s, 10)", (doctor, at(day, "00:00"), at(day, "23:00")))
    assert [(r[1], r[3]) for r in rows] == [(at(day, "09:00"), 1), (at(day, "09:30"), 2)]


def test_a_department_search_takes_the_earliest_slots_across_doctors_every_call(db, sched):
    department = sched.department()
    doctors = sorted(sched.scheduled_doctor(department, start="09:00", end="10:00", slot=30, weekdays=[0, 1])
                     for _ in range(3))
    day = monday(102)
    book(db, sched.patient(), doctors[0], at(day + timedelta(days=1), "09:00"))
    with db.cursor() as cur:
        cur.execute("INSERT INTO public_holiday VALUES (%s, 'Test')", (day,))
    try:
        window = (department, at(day, "00:00"), at(day + timedelta(days=2), "00:00"))
        tuesday = day + timedelta(days=1)
        expected = [(doctors[1], at(tuesday, "09:00")), (doctors[2], at(tuesday, "09:00")),
                    (doctors[0], at(tuesday, "09:30")), (doctors[1], at(tuesday, "09:30"))]
        # Twice in one session: MariaDB once answered the second call of a session wrongly.
        for _ in range(2):
            rows = query(db, "CALL find_free_slots(NULL, %s, %s, %s, 4)", window)
            assert [(r[0], r[1]) for r in rows] == expected
        assert len(query(db, "CALL find_free_slots(NULL, %s, %s, %s, 100)", window)) == 5
    finally:
        with db.cursor() as cur:
            cur.execute("DELETE FROM public_holiday WHERE holiday_date = %s", (day,))


def test_a_department_search_returns_the_earliest_prefix_for_every_max(db, sched):
    """Steps where several doctors are free and `max` ends inside one, grids of 15, 30 and
    60 minutes, leave, a booking and a weekend no template covers before the first slot."""
    department = sched.department()
    a = sched.scheduled_doctor(department, start="09:00", end="11:00", slot=60, weekdays=[0])
    b = sched.scheduled_doctor(department, start="09:00", end="10:00", slot=15, weekdays=[0])
    c = sched.scheduled_doctor(department, start="09:30", end="10:30", slot=30, weekdays=[0])
    day = monday(103)
    book(db, sched.patient(), c, at(day, "09:30"))
    with db.cursor() as cur:
        cur.execute("INSERT INTO doctor_leave (doctor_id, starts_at, ends_at) VALUES (%s, %s, %s)",
                    (b, at(day, "09:15"), at(day, "09:30")))
    every = sorted([(at(day, "09:00"), a, 60), (at(day, "09:00"), b, 15), (at(day, "09:30"), b, 15),
                    (at(day, "09:45"), b, 15), (at(day, "10:00"), a, 60), (at(day, "10:00"), c, 30)])
    window = (department, at(day - timedelta(days=2), "00:00"), at(day + timedelta(days=1), "00:00"))
    for most in range(1, len(every) + 2):
        rows = query(db, "CALL find_free_slots(NULL, %s, %s, %s, %s)", (*window, most))
        assert [(r[1], r[0], r[2], r[3]) for r in rows] == [(s, d, m, 1) for s, d, m in every[:most]]


def test_a_department_search_skips_a_holiday_at_its_first_step_and_finds_hours_starting_later(db, sched):
    """The walk reads a day's hours only when its first step finds nobody free: a holiday met
    right where a template starts must still be skipped, and an afternoon clinic found from
    08:00 on."""
    department = sched.department()
    morning = sched.scheduled_doctor(department, start="09:00", end="10:00", slot=30, weekdays=[0, 1])
    afternoon = sched.scheduled_doctor(department, start="13:00", end="14:00", slot=30, weekdays=[3])
    day = monday(116)
    with db.cursor() as cur:
        cur.execute("INSERT INTO public_holiday VALUES (%s, 'Test')", (day,))
    try:
        rows = query(db, "CALL find_free_slots(NULL, %s, %s, %s, 3)",
                     (department, at(day, "09:00"), at(day + timedelta(days=2), "00:00")))
        tuesday = day + timedelta(days=1)
        assert [(r[0], r[1]) for r in rows] == [(morning, at(tuesday, "09:00")), (morning, at(tuesday, "09:30"))]
        rows = query(db, "CALL find_free_slots(NULL, %s, %s, %s, 3)",
                     (department, at(day + timedelta(days=2), "08:00"), at(day + timedelta(days=5), "00:00")))
        thursday = day + timedelta(days=3)
        assert [(r[0], r[1]) for r in rows] == [(afternoon, at(thursday, "13:00")), (afternoon, at(thursday, "13:30"))]
    finally:
        with db.cursor() as cur:
            cur.execute("DELETE FROM public_holiday WHERE holiday_date = %s", (day,))


def test_a_department_search_refuses_rather_than_drop_slots_when_group_concat_max_len_is_low(db, sched):
    """A step's slots come back as one JSON_ARRAYAGG, which MariaDB cuts at that length."""
    department = sched.department()
    for _ in range(8):      # eight doctors free at 09:00: one step's array is about 300 bytes
        sched.scheduled_doctor(department, start="09:00", end="11:00", slot=15, weekdays=[0])
    day = monday(117)
    window = (department, at(day, "00:00"), at(day + timedelta(days=1), "00:00"), 20)
    with db.cursor() as cur:
        cur.execute("SET SESSION group_concat_max_len = 200")
    try:
        code, message = refusal(db, "CALL find_free_slots(NULL, %s, %s, %s, %s)", window)
        assert code == 1644 and "group_concat_max_len" in message
    finally:
        with db.cursor() as cur:
            cur.execute("SET SESSION group_concat_max_len = DEFAULT")
    assert len(query(db, "CALL find_free_slots(NULL, %s, %s, %s, %s)", window)) == 20


def test_a_department_search_finds_a_day_whose_templates_all_start_in_the_afternoon(db, sched):
    """A Sunday whose only templates start at 13:00 and 14:00: the day's walk starts at the
    hospital's earliest template that day (V125), and every slot is still found, in order."""
    department = sched.department()
    late = sched.scheduled_doctor(department, start="13:00", end="14:00", slot=30, weekdays=[6])
    later = sched.scheduled_doctor(department, start="14:00", end="15:00", slot=60, capacity=2, weekdays=[6])
    sunday = monday(118) + timedelta(days=6)
    rows = query(db, "CALL find_free_slots(NULL, %s, %s, %s, 10)",
                 (department, at(sunday, "00:00"), at(sunday + timedelta(days=1), "00:00")))
    assert [(r[0], r[1], r[3]) for r in rows] == [(late, at(sunday, "13:00"), 1), (late, at(sunday, "13:30"), 1),
                                                  (later, at(sunday, "14:00"), 2)]
