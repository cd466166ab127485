"""One generator per table: the rows of an id range, as columns, in LOAD DATA order.

Each function takes the World, a half-open range of row indexes [lo, hi) (id =
index + 1) and the chunk's own random stream, and returns {column: values}.
Values that must be unique (e-mails, phones, licence numbers) are composed from
ids; everything else is drawn from the pools with numpy.
"""

from __future__ import annotations

import numpy as np

from . import hashing, text, vocabulary
from .fields import (
    BLOOD_B, BLOOD_SHARES, DIAGNOSES, DIAGNOSES_B, FREQUENCIES_B, GENDERS_B,
    MANUFACTURERS_B, NOTES_B, NULL, PAYMENT_METHODS_B, PAYMENT_STATUSES_B,
    PRESCRIPTION_NOTES_B, REASONS_B, SHIFTS_B, STATUS_B, addresses, choice,
    hire_days, money, person_names, phones, staff_email,
    DISPENSED_WHOLE, DOSE_COUNTS, DOSE_TABLE, DOSE_TABLE_B, medication_forms, prescription_of_rows,
)
from .world import World

def department(w: World, lo: int, hi: int, rng) -> dict:
    names = list(vocabulary.DEPARTMENTS)[lo:hi]
    ids = np.arange(lo, hi) + 1
    return {"department_id": ids, "name": names,
            "location": [vocabulary.DEPARTMENTS[n][0] for n in names],
            "phone": [f"+1-555-010-{1000 + i:04d}" for i in ids.tolist()],
            # Written, not left to DEFAULT CURRENT_TIMESTAMP, so a reload gives the same rows.
            "created_at": w.datetime_text(np.full(len(ids), w.today - 15 * 365), np.full(len(ids), 8 * 60))}


def medication(w: World, lo: int, hi: int, rng) -> dict:
    meds = w.pools.medications[lo:hi]
    n = len(meds)
    forms = np.array([m[1] for m in meds], dtype=object)
    base = np.where(np.isin(forms, ["Injection", "Inhaler", "Patch"]), 2500, 400)
    cents = np.round(base * rng.lognormal(0.0, 0.8, size=n)).astype(np.int64) + 5
    return {"medication_id": np.arange(lo, hi) + 1, "name": [m[0] for m in meds],
            "form": forms.tolist(), "strength": [m[2] for m in meds],
            "manufacturer": choice(rng, MANUFACTURERS_B, n), "unit_price": money(cents)}


def department_medication(w: World, lo: int, hi: int, rng) -> dict:
    pairs = np.array([(k + 1, int(m)) for k, meds in enumerate(w.stocked) for m in meds][lo:hi],
                     dtype=np.int64).reshape(-1, 2)
    # On-hand stock after everything prescribed so far: the schema keeps no initial
    # stock, so any non-negative level is consistent with the loaded prescriptions.
    stock = rng.integers(150, 5_000, size=len(pairs))
    # Reorder at a level some levels sit near (a few pairs start at or below it), order 2-4 x that.
    reorder = rng.integers(100, 700, size=len(pairs))
    return {"department_id": pairs[:, 0], "medication_id": pairs[:, 1], "stock_quantity": stock,
            "reorder_level": reorder, "reorder_quantity": reorder * rng.integers(2, 5, size=len(pairs))}


def room(w: World, lo: int, hi: int, rng) -> dict:
    index = np.arange(lo, hi)
    n = len(index)
    floor = index // 25 + 1
    number = [f"{f}{i % 25 + 1:02d}" for f, i in zip(floor.tolist(), index.tolist())]
    types = np.array([t for t, _ in vocabulary.ROOM_TYPES], dtype=object)
    rates = np.array([r for _, r in vocabulary.ROOM_TYPES], dtype=np.int64)
    kind = np.minimum((floor - 1) * len(types) // 8, len(types) - 1)
    cents = rates[kind] * 100 + rng.integers(0, 40, size=n) * 500
    patients = w.counts["patient"]
    occupied = rng.random(n) < 0.65
    chosen = rng.choice(patients, size=min(int(occupied.sum()), patients), replace=False) + 1
    patient = np.array([NULL] * n, dtype=object)
    occupied_at = np.flatnonzero(occupied)[:len(chosen)]
    patient[occupied_at] = chosen.astype(object)
    available = np.ones(n, dtype=np.int64)
    available[occupied_at] = 0
    # A few empty rooms are closed for cleaning or repair.
    available[(~np.isin(np.arange(n), occupied_at)) & (rng.random(n) < 0.1)] = 0
    return {"room_id": index + 1, "room_number": number, "room_type": types[kind].tolist(),
            "daily_rate": money(cents), "is_available": available, "patient_id": patient.tolist()}


# -- staff ----------------------------------------------------------------------
def receptionist(w: World, lo: int, hi: int, rng) -> dict:
    ids = np.arange(lo, hi) + 1
    first, last, first_l, last_l = person_names(w, rng, len(ids), rng.random(len(ids)) < 0.7)
    return {"receptionist_id": ids, "first_name": first, "last_name": last,
            "email": staff_email(first_l, last_l, "rc", ids, w.pools.staff_domain),
            "phone": phones(w, rng, "receptionist", ids),
            "hire_date": w.date_text(hire_days(w, rng, len(ids)))}


def doctor(w: World, lo: int, hi: int, rng) -> dict:
    ids = np.arange(lo, hi) + 1
    n = len(ids)
    first, last, first_l, last_l = person_names(w, rng, n, rng.random(n) < 0.45)
    department_ids = w.doctor_department[lo:hi]
    names = list(vocabulary.DEPARTMENTS)
    choices = rng.random(n)
    specialization = [vocabulary.DEPARTMENTS[names[d - 1]][1][int(u * len(vocabulary.DEPARTMENTS[names[d - 1]][1]))]
                      for d, u in zip(department_ids.tolist(), choices.tolist())]
    licence = (ids * 7_919 + 310_000) % 10_000_000
    return {"doctor_id": ids, "first_name": first, "last_name": last,
            "specialization": specialization, "department_id": department_ids,
            "email": staff_email(first_l, last_l, "md", ids, w.pools.staff_domain),
            "phone": phones(w, rng, "doctor", ids),
            "license_number": b"MD-" + text.fixed(licence // 10_000, 3) + text.fixed(licence % 10_000, 4),
            "hire_date": w.date_text(hire_days(w, rng, n))}


def nurse(w: World, lo: int, hi: int, rng) -> dict:
    ids = np.arange(lo, hi) + 1
    n = len(ids)
    first, last, first_l, last_l = person_names(w, rng, n, rng.random(n) < 0.85)
    return {"nurse_id": ids, "first_name": first, "last_name": last,
            "department_id": rng.choice(15, size=n) + 1,
            "shift": choice(rng, SHIFTS_B, n, [0.4, 0.35, 0.25]),
            "email": staff_email(first_l, last_l, "rn", ids, w.pools.staff_domain),
            "phone": phones(w, rng, "nurse", ids),
            "hire_date": w.date_text(hire_days(w, rng, n))}


# -- patients and visits ------------------------------------------------------------
def patient(w: World, lo: int, hi: int, rng) -> dict:
    index = np.arange(lo, hi)
    ids = index + 1
    n = len(ids)
    p = w.pools
    gender = rng.choice(3, size=n, p=[0.505, 0.49, 0.005])
    female = np.where(gender == 2, rng.random(n) < 0.5, gender == 0)
    first, last, first_l, last_l = person_names(w, rng, n, female)
    born = w.birth_days(index)
    email = (first_l + b"." + last_l + text.digits(ids) + b"@"
             + text.pick(w.pool_bytes["email_domains"], rng.choice(len(p.email_domains), size=n)))
    email = text.where(rng.random(n) < 0.85, email, text.null(n))
    has_blood = rng.random(n) < 0.9
    blood = text.where(has_blood, choice(rng, BLOOD_B, n, BLOOD_SHARES / BLOOD_SHARES.sum()), text.null(n))
    earliest = np.maximum(born + 1, w.today - 12 * 365)
    registered = earliest + np.floor(rng.random(n) * (w.today - earliest)).astype(np.int64)
    minute = rng.integers(8 * 60, 18 * 60, size=n)
    return {"patient_id": ids, "first_name": first, "last_name": last,
            "date_of_birth": w.date_text(born), "gender": text.pick(GENDERS_B, gender), "blood_type": blood,
            "phone": phones(w, rng, "patient", ids), "email": email,
            "address": addresses(w, rng, n),
            "city": text.pick(w.pool_bytes["cities"], rng.choice(len(p.cities), size=n)),
            "registered_by": rng.choice(w.counts["receptionist"], size=n) + 1,
            "registered_at": w.datetime_text(registered, minute)}


def appointment(w: World, lo: int, hi: int, rng) -> dict:
    index = np.arange(lo, hi)
    n = len(index)
    core = w.appointment_core(index)
    receptionist_ids = rng.choice(w.counts["receptionist"], size=n) + 1
    receptionist_ids = text.where(rng.random(n) < 0.85, receptionist_ids, text.null(n))   # the rest booked online
    booked = core["day"] - rng.integers(1, 45, size=n)
    return {"appointment_id": index + 1, "patient_id": core["patient"] + 1,
            "doctor_id": core["doctor"] + 1, "receptionist_id": receptionist_ids,
            "starts_at": w.datetime_text(core["day"], core["minute"]),
            "status": text.pick(STATUS_B, core["status"]),
            "reason": choice(rng, REASONS_B, n),
            "created_at": w.datetime_text(booked, rng.integers(7 * 60, 19 * 60, size=n))}


def billing(w: World, lo: int, hi: int, rng) -> dict:
    index = np.arange(lo, hi)
    n = len(index)
    past, _, _, _ = w.appointment_plan
    visit = index < past
    core = w.appointment_core(np.where(visit, index, 0))
    other_patient = rng.choice(w.counts["patient"], size=n)
    other_day = w.today - rng.integers(1, 3 * 365, size=n)
    patient_ids = np.where(visit, core["patient"], other_patient) + 1
    day = np.where(visit, core["day"], other_day)
    department_ids = w.doctor_department[core["doctor"]]
    # Consultation fees differ by department; visits add tests and procedures
    # (log-normal); no-shows and late cancellations pay a flat fee; bills without a
    # visit are for stays, labs and imaging.
    fee = 6_000 + (department_ids * 1_597) % 20_000
    consult = fee * rng.lognormal(0.0, 0.35, size=n) + rng.lognormal(8.5, 1.1, size=n) * (rng.random(n) < 0.45)
    flat = rng.integers(25, 76, size=n) * 100
    other = rng.lognormal(10.8, 0.9, size=n)
    status = core["status"]
    cents = np.where(visit, np.where(status == 1, consult, flat), other)
    cents = np.clip(np.round(cents), 500, 5_000_000).astype(np.int64)
    due = day + 30
    u = rng.random(n)
    # Codes into PAYMENT_STATUSES: recent bills are mostly open, old ones mostly settled.
    open_code = np.where(u < 0.55, 0, np.where(u < 0.9, 1, 2))
    settled_code = np.where(u < 0.85, 1, np.where(u < 0.89, 2, np.where(u < 0.98, 3, 4)))
    payment = np.where(due >= w.today, open_code, settled_code)
    method = choice(rng, PAYMENT_METHODS_B, n, [0.15, 0.45, 0.35, 0.05])
    method = text.where((payment == 1) | (payment == 2), method, text.null(n))
    return {"bill_id": index + 1, "patient_id": patient_ids,
            "appointment_id": text.where(visit, index + 1, text.null(n)), "total_amount": money(cents),
            "bill_date": w.date_text(day), "due_date": w.date_text(due),
            "payment_status": text.pick(PAYMENT_STATUSES_B, payment), "payment_method": method}


def medical_record(w: World, lo: int, hi: int, rng) -> dict:
    index = np.arange(lo, hi)
    n = len(index)
    visit = w.record_appointment(index)
    core = w.appointment_core(visit)
    department_ids = w.doctor_department[core["doctor"]]
    pick = rng.integers(0, 5, size=n)
    diagnosis = (department_ids - 1) * DIAGNOSES.shape[1] + pick
    has_notes = rng.random(n) < 0.6
    notes = text.where(has_notes, choice(rng, NOTES_B, n), text.null(n))
    return {"record_id": index + 1, "patient_id": core["patient"] + 1,
            "doctor_id": core["doctor"] + 1, "appointment_id": visit + 1,
            "visit_date": w.date_text(core["day"]), "diagnosis": text.pick(DIAGNOSES_B[0], diagnosis),
            "icd10_code": text.pick(DIAGNOSES_B[1], diagnosis), "treatment": text.pick(DIAGNOSES_B[2], diagnosis),
            "notes": notes}


def prescription(w: World, lo: int, hi: int, rng) -> dict:
    index = np.arange(lo, hi)
    n = len(index)
    record = w.prescription_record(index)
    core = w.appointment_core(w.record_appointment(record))
    # Written at the end of the 30-minute visit.
    minute = core["minute"] + rng.integers(15, 30, size=n)
    has_notes = rng.random(n) < 0.5
    notes = text.where(has_notes, choice(rng, PRESCRIPTION_NOTES_B, n), text.null(n))
    return {"prescription_id": index + 1, "record_id": record + 1,
            "prescribed_at": w.datetime_text(core["day"], minute), "notes": notes}


def prescription_medication(w: World, lo: int, hi: int, rng) -> dict:
    rows = np.arange(lo, hi)
    n = len(rows)
    q = prescription_of_rows(w, lo, hi)
    slot = rows - w.meds_start(q)
    unique_q, inverse = np.unique(q, return_inverse=True)
    core = w.appointment_core(w.record_appointment(w.prescription_record(unique_q)))
    department_ids = w.doctor_department[core["doctor"]][inverse]
    # Distinct medications on one prescription: start anywhere in the department's
    # stock list and step by a stride small enough that five steps never wrap onto
    # an earlier pick.
    sizes = np.array([len(s) for s in w.stocked], dtype=np.int64)[department_ids - 1]
    start = hashing.below(w.seed, "pm.start", q, sizes)
    stride = 1 + hashing.below(w.seed, "pm.stride", q, np.maximum(1, (sizes - 1) // 5))
    position = (start + slot * stride) % sizes
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in w.stocked])])
    flat = np.concatenate(w.stocked)
    medication_ids = flat[offsets[department_ids - 1] + position]
    form = medication_forms(w)[medication_ids - 1]
    dose = np.floor(rng.random(n) * DOSE_COUNTS[form]).astype(np.int64)
    frequency = rng.choice(len(vocabulary.FREQUENCIES), size=n, p=[0.3, 0.25, 0.15, 0.05, 0.08, 0.07, 0.03, 0.07])
    per_day = np.array([f[1] for f in vocabulary.FREQUENCIES])[frequency]
    duration = np.array([3, 5, 7, 10, 14, 30, 60, 90])[rng.choice(8, size=n, p=[0.08, 0.15, 0.25, 0.12, 0.12, 0.18, 0.05, 0.05])]
    units = np.where(DISPENSED_WHOLE[form], 1,
                     per_day * np.minimum(duration, 30))
    return {"prescription_id": q + 1, "medication_id": medication_ids,
            "dosage": text.pick(DOSE_TABLE_B, form * DOSE_TABLE.shape[1] + dose),
            "frequency": text.pick(FREQUENCIES_B, frequency),
            "duration_days": duration, "quantity": np.maximum(units, 1)}


GENERATORS = {
    "department": department, "medication": medication, "department_medication": department_medication,
    "receptionist": receptionist, "doctor": doctor, "nurse": nurse, "patient": patient, "room": room,
    "appointment": appointment, "billing": billing, "medical_record": medical_record,
    "prescription": prescription, "prescription_medication": prescription_medication,
}
# The columns each generator fills, in file order (generated columns and defaults left out).
COLUMNS = {
    "department": ("department_id", "name", "location", "phone", "created_at"),
    "medication": ("medication_id", "name", "form", "strength", "manufacturer", "unit_price"),
    "department_medication": ("department_id", "medication_id", "stock_quantity", "reorder_level", "reorder_quantity"),
    "receptionist": ("receptionist_id", "first_name", "last_name", "email", "phone", "hire_date"),
    "doctor": ("doctor_id", "first_name", "last_name", "specialization", "department_id", "email", "phone",
               "license_number", "hire_date"),
    "nurse": ("nurse_id", "first_name", "last_name", "department_id", "shift", "email", "phone", "hire_date"),
    "patient": ("patient_id", "first_name", "last_name", "date_of_birth", "gender", "blood_type", "phone",
                "email", "address", "city", "registered_by", "registered_at"),
    "room": ("room_id", "room_number", "room_type", "daily_rate", "is_available", "patient_id"),
    "appointment": ("appointment_id", "patient_id", "doctor_id", "receptionist_id", "starts_at", "status",
                    "reason", "created_at"),
    "billing": ("bill_id", "patient_id", "appointment_id", "total_amount", "bill_date", "due_date",
                "payment_status", "payment_method"),
    "medical_record": ("record_id", "patient_id", "doctor_id", "appointment_id", "visit_date", "diagnosis",
                       "icd10_code", "treatment", "notes"),
    "prescription": ("prescription_id", "record_id", "prescribed_at", "notes"),
    "prescription_medication": ("prescription_id", "medication_id", "dosage", "frequency", "duration_days",
                                "quantity"),
}
