"""The naive loader `benchmarks/load.py` compares against: Faker per row, executemany INSERT.

What a first attempt looks like: every row of all thirteen tables is made in
Python with Faker calls for its fields (names, e-mails, phones, addresses, dates,
sentences, amounts; fake.random_element for the categorical ones), and inserted with
executemany in batches of 1,000, one commit per batch, into a freshly migrated
database with every index, foreign key and trigger in force (the stock trigger
decrements department stock for each prescribed medication). Row counts follow
the same scale rule as `hms seed`, so the tables are in proportion.
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta

from faker import Faker

from harness import connect  # also puts this checkout on sys.path when imported first
from seed import pools, scale, vocabulary

BATCH = 1_000
SLOTS_PER_DAY = 18


def _insert(conn, table: str, columns: tuple[str, ...], rows) -> int:
    """executemany in batches of BATCH with a commit after each; return the rows inserted."""
    sql = (f"INSERT INTO `{table}` (" + ", ".join(columns) + ") VALUES ("
           + ", ".join(["%s"] * len(columns)) + ")")
    batch, total = [], 0
    with conn.cursor() as cur:
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                cur.executemany(sql, batch)
                conn.commit()
                total, batch = total + len(batch), []
        if batch:
            cur.executemany(sql, batch)
            conn.commit()
            total += len(batch)
    return total


def run_naive(target, naive_scale: float, seed: int = 1) -> dict:
    """Fill `target` (a freshly migrated database) the naive way; return rows, seconds and rows per table."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    counts = scale.counts(naive_scale)
    today = date.today()
    departments = list(vocabulary.DEPARTMENTS)
    conn = connect(target, autocommit=False)
    loaded: dict[str, int] = {}
    seconds: dict[str, float] = {}
    started = time.monotonic()
    mark = [started]

    def put(table: str, columns: tuple[str, ...], rows) -> None:
        # Time since the previous table: the Faker calls made for this table's rows, and its INSERTs.
        loaded[table] = _insert(conn, table, columns, rows)
        now = time.monotonic()
        seconds[table], mark[0] = now - mark[0], now

    try:
        def person_email(i: int, kind: str) -> str:
            return f"{fake.user_name()}.{kind}{i}@{fake.free_email_domain()}"

        put("department", ("name", "location", "phone"), (
            (name, vocabulary.DEPARTMENTS[name][0], fake.numerify("+1-###-###-####")) for name in departments))
        meds = pools.medications(seed, counts["medication"])
        put("medication", ("name", "form", "strength", "manufacturer", "unit_price"), (
            (name, form, strength, fake.company()[:100], fake.pydecimal(left_digits=3, right_digits=2, positive=True))
            for name, form, strength in meds))
        per_department = counts["department_medication"] // len(departments)
        stocked = {d: rnd.sample(range(1, len(meds) + 1), per_department + (1 if d <= counts["department_medication"]
                                                                            % len(departments) else 0))
                   for d in range(1, len(departments) + 1)}
        put("department_medication", ("department_id", "medication_id", "stock_quantity"),
            ((d, m, 1_000_000) for d, ms in stocked.items() for m in ms))
        put("receptionist", ("first_name", "last_name", "email", "phone", "hire_date"), (
            (fake.first_name(), fake.last_name(), person_email(i, "rc"), fake.numerify("+1-###-###-####"),
             fake.date_between(start_date="-20y", end_date="-30d")) for i in range(counts["receptionist"])))
        doctor_department = [rnd.randint(1, len(departments)) for _ in range(counts["doctor"])]
        put("doctor", (
            "first_name", "last_name", "specialization", "department_id", "email", "phone", "license_number",
            "hire_date"), (
            (fake.first_name(), fake.last_name(), rnd.choice(vocabulary.DEPARTMENTS[departments[d - 1]][1]), d,
             person_email(i, "md"), fake.numerify("+1-###-###-####"), f"MD-{i:07d}",
             fake.date_between(start_date="-30y", end_date="-30d")) for i, d in enumerate(doctor_department)))
        put("nurse", (
            "first_name", "last_name", "department_id", "shift", "email", "phone", "hire_date"), (
            (fake.first_name(), fake.last_name(), rnd.randint(1, len(departments)),
             fake.random_element(["Morning", "Evening", "Night"]), person_email(i, "rn"),
             fake.numerify("+1-###-###-####"),
             fake.date_between(start_date="-30y", end_date="-30d")) for i in range(counts["nurse"])))
        births = [fake.date_of_birth(minimum_age=0, maximum_age=99) for _ in range(counts["patient"])]
        put("patient", (
            "first_name", "last_name", "date_of_birth", "gender", "blood_type", "phone", "email", "address", "city",
            "registered_by", "registered_at"), (
            (fake.first_name(), fake.last_name(), born, fake.random_element(["Female", "Male"]),
             fake.random_element(["O+", "A+", "B+", "AB+", "O-", "A-", "B-", "AB-"]), fake.numerify("+1-###-###-####"),
             person_email(i, "pt"), fake.street_address(), fake.city(), rnd.randint(1, counts["receptionist"]),
             fake.date_time_between(start_date="-10y", end_date="now")) for i, born in enumerate(births)))
        put("room", ("room_number", "room_type", "daily_rate", "is_available"), (
            (f"{i // 25 + 1}{i % 25 + 1:02d}", fake.random_element(vocabulary.ROOM_TYPES)[0], rnd.randint(150, 2000), 1)
            for i in range(counts["room"])))
        # Appointments: each doctor's k-th appointment in its own 30-minute slot on a past weekday.
        appointments = []
        next_slot = [0] * counts["doctor"]
        weekdays = [d for d in (today - timedelta(days=i) for i in range(1, 20_000)) if d.weekday() < 5]
        for _ in range(counts["appointment"]):
            doctor = rnd.randrange(counts["doctor"])
            k = next_slot[doctor]
            next_slot[doctor] += 1
            day = weekdays[k // SLOTS_PER_DAY]
            starts = datetime(day.year, day.month, day.day, 8) + timedelta(minutes=30 * (k % SLOTS_PER_DAY))
            patient = rnd.randrange(counts["patient"])
            if births[patient] >= day:
                patient = max(range(counts["patient"]), key=lambda p: day - births[p])  # the oldest
            status = rnd.choices(["Completed", "Cancelled", "No-show"], [92, 4, 4])[0]
            appointments.append((patient + 1, doctor + 1, starts, status))
        put("appointment", (
            "patient_id", "doctor_id", "receptionist_id", "starts_at", "status", "reason"), (
            (p, d, rnd.randint(1, counts["receptionist"]), s, st, fake.sentence(nb_words=4)[:255])
            for p, d, s, st in appointments))
        put("billing", (
            "patient_id", "appointment_id", "total_amount", "bill_date", "due_date", "payment_status",
            "payment_method"), (
            (appointments[a][0], a + 1, fake.pydecimal(left_digits=3, right_digits=2, positive=True),
             appointments[a][2].date(), appointments[a][2].date() + timedelta(days=30),
             # A new bill is open: Paid follows from payments (trg_billing_invoice_insert refuses it).
             fake.random_element(["Pending", "Overdue"]), fake.random_element(["Cash", "Card", "Insurance"]))
            for a in (i % len(appointments) for i in range(counts["billing"]))))
        completed = [a for a, row in enumerate(appointments) if row[3] == "Completed"][:counts["medical_record"]]
        records = []
        for a in completed:
            p, d, starts, _ = appointments[a]
            department = departments[doctor_department[d - 1] - 1]
            diagnosis, code, treatment = fake.random_element(vocabulary.DEPARTMENTS[department][2])
            records.append((p, d, a + 1, starts.date(), diagnosis, code, treatment, fake.sentence(nb_words=8)))
        put("medical_record", (
            "patient_id", "doctor_id", "appointment_id", "visit_date", "diagnosis", "icd10_code", "treatment",
            "notes"), records)
        prescriptions = [rnd.randrange(len(records)) for _ in range(counts["prescription"])]
        put("prescription", ("record_id", "prescribed_at", "notes"), (
            (r + 1, datetime.combine(records[r][3], datetime.min.time()) + timedelta(hours=17),
             fake.sentence(nb_words=5)) for r in prescriptions))
        per_prescription, extra = divmod(counts["prescription_medication"], len(prescriptions))

        def prescribed():
            for q, r in enumerate(prescriptions):
                department = doctor_department[records[r][1] - 1]
                for m in rnd.sample(stocked[department], per_prescription + (1 if q < extra else 0)):
                    yield (q + 1, m, "1 tablet", fake.random_element(["Once daily", "Twice daily"]),
                           fake.random_element([5, 7, 14]), rnd.randint(1, 60))

        put("prescription_medication", (
            "prescription_id", "medication_id", "dosage", "frequency", "duration_days", "quantity"), prescribed())
    finally:
        conn.close()
    total = time.monotonic() - started
    return {"seconds": total, "rows": sum(loaded.values()), "scale": naive_scale, "per_table": loaded,
            "rows_per_second_by_table": {t: round(loaded[t] / seconds[t]) for t in loaded if seconds[t] > 0}}
