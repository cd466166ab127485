"""Column values the table generators share: vocabularies as bytes, names, phones,
e-mails, addresses, money and hire dates, drawn from the World's pools with numpy."""

from __future__ import annotations

import numpy as np

from . import text, vocabulary
from .world import World


NULL = "\\N"
STATUS_NAMES = np.array(["Scheduled", "Completed", "Cancelled", "No-show"], dtype=object)
BLOOD_TYPES = np.array(["O+", "A+", "B+", "AB+", "O-", "A-", "B-", "AB-"], dtype=object)
BLOOD_SHARES = np.array([37.4, 35.7, 8.5, 3.4, 6.6, 6.3, 1.5, 0.6])
GENDERS = np.array(["Female", "Male", "Other"], dtype=object)
SHIFTS = np.array(["Morning", "Evening", "Night"], dtype=object)
PAYMENT_STATUSES = np.array(["Pending", "Paid", "Partially Paid", "Overdue", "Cancelled"], dtype=object)
PAYMENT_METHODS = np.array(["Cash", "Card", "Insurance", "Bank Transfer"], dtype=object)
# [department - 1, k] -> (diagnosis, ICD-10 code, treatment)
DIAGNOSES = np.array([[list(d) for d in spec[2]] for spec in vocabulary.DEPARTMENTS.values()], dtype=object)
# Multipliers coprime with 10^7: a bijection from ids to seven-digit numbers per table.
PHONE_MULTIPLIER = {"patient": 7_919, "doctor": 104_729, "nurse": 1_299_709, "receptionist": 15_485_863}
Cents = text.Cents


# The vocabularies as fixed-width bytes, for text.pick.
STATUS_B, BLOOD_B, GENDERS_B, SHIFTS_B = (text.encoded(v) for v in (STATUS_NAMES, BLOOD_TYPES, GENDERS, SHIFTS))
PAYMENT_STATUSES_B, PAYMENT_METHODS_B = text.encoded(PAYMENT_STATUSES), text.encoded(PAYMENT_METHODS)
REASONS_B, NOTES_B = text.encoded(vocabulary.REASONS), text.encoded(vocabulary.NOTES)
PRESCRIPTION_NOTES_B, MANUFACTURERS_B = text.encoded(vocabulary.PRESCRIPTION_NOTES), text.encoded(vocabulary.MANUFACTURERS)
FREQUENCIES_B = text.encoded([f[0] for f in vocabulary.FREQUENCIES])
DIAGNOSES_B = tuple(text.encoded(DIAGNOSES[:, :, k].ravel()) for k in range(3))


def choice(rng, values: np.ndarray, n, p=None) -> text.Text:
    """n values drawn from an encoded vocabulary, as a Text column."""
    return text.pick(values, rng.choice(len(values), size=n, p=p))


def person_names(w: World, rng, n: int, female: np.ndarray) -> tuple[text.Text, ...]:
    """(first, last, first for e-mail, last for e-mail) drawn with US name frequencies."""
    p, b = w.pools, w.pool_bytes
    f_idx = rng.choice(len(p.female_first), size=n, p=p.female_first_p)
    m_idx = rng.choice(len(p.male_first), size=n, p=p.male_first_p)
    l_idx = rng.choice(len(p.last), size=n, p=p.last_p)
    first = text.where(female, text.pick(b["female_first"], f_idx), text.pick(b["male_first"], m_idx))
    first_lower = text.where(female, text.pick(b["female_first_lower"], f_idx),
                             text.pick(b["male_first_lower"], m_idx))
    return first, text.pick(b["last"], l_idx), first_lower, text.pick(b["last_lower"], l_idx)


def phones(w: World, rng, table: str, ids: np.ndarray) -> text.Text:
    """'+1-AAA-XXX-XXXX', unique per table because XXXXXXX is a bijection of the id."""
    seven = (ids * PHONE_MULTIPLIER[table] + 1_234_567) % 10_000_000
    area = text.pick(w.pool_bytes["area_codes"], rng.choice(len(w.pools.area_codes), size=len(ids)))
    return b"+1-" + area + b"-" + text.fixed(seven // 10_000, 3) + b"-" + text.fixed(seven % 10_000, 4)


def staff_email(first, last, prefix: str, ids: np.ndarray, domain: str) -> text.Text:
    return first + b"." + last + f".{prefix}".encode() + text.digits(ids) + b"@" + domain.encode()


def addresses(w: World, rng, n: int) -> text.Text:
    """'<house number> <street>', a third with ' Apt. <n>', like Faker's street_address()."""
    house = text.digits(rng.integers(1, 99_999, size=n))
    with_flat = rng.random(n) < 0.33
    flat = text.where(with_flat, b" Apt. " + text.digits(rng.integers(1, 999, size=n)), b"")
    street = text.pick(w.pool_bytes["streets"], rng.choice(len(w.pools.streets), size=n))
    return house + b" " + street + flat


def money(cents: np.ndarray) -> Cents:
    return np.asarray(cents, dtype=np.int64).view(Cents)


def hire_days(w: World, rng, n: int) -> np.ndarray:
    return w.today - rng.integers(30, 30 * 365, size=n)


# -- reference tables -------------------------------------------------------------


FORMS = tuple(vocabulary.DOSAGE_FOR_FORM)
DOSE_COUNTS = np.array([len(vocabulary.DOSAGE_FOR_FORM[f]) for f in FORMS], dtype=np.int64)
DOSE_TABLE = np.array([[vocabulary.DOSAGE_FOR_FORM[f][k % len(vocabulary.DOSAGE_FOR_FORM[f])] for k in range(3)]
                       for f in FORMS], dtype=object)
DOSE_TABLE_B = text.encoded(DOSE_TABLE.ravel())
# Bottles, tubes and inhalers are dispensed as one unit, whatever the course length.
DISPENSED_WHOLE = np.array([f in ("Syrup", "Ointment", "Inhaler", "Drops") for f in FORMS])


def medication_forms(w: World) -> np.ndarray:
    return np.array([FORMS.index(m[1]) for m in w.pools.medications], dtype=np.int64)


def prescription_of_rows(w: World, lo: int, hi: int) -> np.ndarray:
    """The prescription index each prescription_medication row in [lo, hi) belongs to."""
    total = w.counts["prescription"]

    def first_at_or_after(row: int) -> int:
        # Smallest q whose rows start after `row`, by bisection on the monotone start.
        a, b = 0, total
        while a < b:
            mid = (a + b) // 2
            if int(w.meds_start(np.array([mid]))[0]) <= row:
                a = mid + 1
            else:
                b = mid
        return a

    q_lo = max(0, first_at_or_after(lo) - 1)
    q_hi = first_at_or_after(hi - 1)
    candidates = np.arange(q_lo, q_hi + 1)
    starts = w.meds_start(candidates)
    return candidates[np.searchsorted(starts, np.arange(lo, hi), side="right") - 1]
