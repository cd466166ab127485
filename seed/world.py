"""What every table's generator shares: the calendar, staff, stock and the visits.

A World is derived from (seed, scale, as_of) alone and cached per process. It
holds small arrays (doctors' departments, each department's stocked medications,
slot calendars) and the pure functions that map an appointment, a medical record
or a prescription id to the visit it belongs to. Nothing here depends on chunk
boundaries or worker count.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from . import hashing, pools, scale, text

EPOCH = date(1970, 1, 1)
SLOT_MINUTES = 30
CLINIC_OPENS = 8 * 60          # first slot 08:00
SLOTS_PER_DAY = 18             # last slot 16:30, clinic closes 17:00
PAST_DAYS = 3 * 365 + 1        # appointments reach three years back ...
FUTURE_DAYS = 60               # ... and two months ahead
FUTURE_SHARE = 0.03            # of appointments, booked ahead
BLOCK = 100                    # past appointments come in blocks with a fixed status mix:
COMPLETED_PER_BLOCK = 92       # 92 Completed,
NO_SHOW_PER_BLOCK = 4          # 4 No-show, the rest (4) Cancelled
FUTURE_CANCELLED = 0.05
FREQUENT_VISITS = 0.30
FREQUENT_PATIENTS = 0.05
# Prescription sizes repeat in this pattern (mean 2.0); the remainder is spread evenly.
MEDS_PATTERN = np.array([1, 2, 2, 3, 1, 2, 2, 2, 4, 1], dtype=np.int64)
MEDS_PREFIX = np.concatenate([[0], np.cumsum(MEDS_PATTERN)])
# Age pyramid (US-like): bin edges in years and each bin's share of patients.
AGE_EDGES = np.array([0, 5, 18, 25, 35, 45, 55, 65, 75, 85, 100], dtype=np.float64)
AGE_SHARES = np.array([6, 16, 9, 13.5, 13, 12, 13, 10, 5, 2.5]) / 100.0
DEPARTMENT_DOCTOR_WEIGHTS = np.array([12, 8, 9, 6, 8, 5, 10, 7, 4, 6, 4, 5, 5, 3, 18], dtype=np.float64)


def day_number(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - EPOCH).days


@dataclass(frozen=True)
class World:
    seed: int
    scale: float
    as_of: date
    counts: dict

    # -- calendar -----------------------------------------------------------
    @functools.cached_property
    def today(self) -> int:
        return day_number(self.as_of)

    @functools.cached_property
    def first_day(self) -> int:
        """The earliest day any generated date may fall on (oldest birth)."""
        return self.today - 101 * 366

    @functools.cached_property
    def date_strings(self) -> np.ndarray:
        """'YYYY-MM-DD' for every day from first_day to today + 400, indexed by day - first_day."""
        start = EPOCH + timedelta(days=self.first_day)
        n = self.today + 400 - self.first_day
        return np.array([(start + timedelta(days=i)).isoformat() for i in range(n)], dtype=object)

    def dates(self, days: np.ndarray) -> np.ndarray:
        """Date strings for day numbers."""
        return self.date_strings[days - self.first_day]

    @functools.cached_property
    def time_strings(self) -> np.ndarray:
        """' HH:MM:SS' for every minute of a day."""
        return np.array([f" {m // 60:02d}:{m % 60:02d}:00" for m in range(24 * 60)], dtype=object)

    def datetimes(self, days: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        """'YYYY-MM-DD HH:MM:SS' strings for day numbers and minutes of the day."""
        return self.dates(days) + self.time_strings[minutes]

    @functools.cached_property
    def date_bytes(self) -> np.ndarray:
        """date_strings as fixed-width bytes, for text.pick."""
        return text.encoded(self.date_strings)

    @functools.cached_property
    def time_bytes(self) -> np.ndarray:
        return text.encoded(self.time_strings)

    def date_text(self, days: np.ndarray) -> text.Text:
        """'YYYY-MM-DD' per day number, as a Text column."""
        return text.pick(self.date_bytes, days - self.first_day)

    def datetime_text(self, days: np.ndarray, minutes: np.ndarray) -> text.Text:
        """'YYYY-MM-DD HH:MM:SS' per day number and minute of the day, as a Text column."""
        return self.date_text(days) + text.pick(self.time_bytes, minutes)

    @functools.cached_property
    def past_days(self) -> np.ndarray:
        """Weekdays on which past appointments fall, oldest first."""
        return _weekdays(self.today - PAST_DAYS, self.today)

    @functools.cached_property
    def future_days(self) -> np.ndarray:
        """Weekdays on which future appointments fall."""
        return _weekdays(self.today + 1, self.today + 1 + FUTURE_DAYS)

    # -- staff and stock ---------------------------------------------------------
    @functools.cached_property
    def pools(self) -> pools.Pools:
        return pools.build(self.seed)

    @functools.cached_property
    def pool_bytes(self) -> dict[str, np.ndarray]:
        """The text pools as fixed-width bytes arrays, by field name."""
        return pools.as_bytes(self.pools)

    def warm(self) -> "World":
        """Build everything generators share (pools, calendars, staff), so forked workers inherit it."""
        self.pools, self.pool_bytes, self.date_bytes, self.time_bytes, self.doctor_department, self.stocked
        return self

    @functools.cached_property
    def doctor_department(self) -> np.ndarray:
        """Department id (1-15) of each doctor, by doctor index (id - 1)."""
        n = self.counts["doctor"]
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, 9001])))
        weights = DEPARTMENT_DOCTOR_WEIGHTS / DEPARTMENT_DOCTOR_WEIGHTS.sum()
        departments = rng.choice(15, size=n, p=weights) + 1
        departments[:15] = np.arange(1, 16)      # every department has a doctor
        return departments.astype(np.int64)

    @functools.cached_property
    def stocked(self) -> tuple[np.ndarray, ...]:
        """Medication ids each department stocks (index 0 = department 1), sorted."""
        total = self.counts["department_medication"]
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, 9002])))
        base, extra = divmod(total, 15)
        lists = []
        for k in range(15):
            size = base + (1 if k < extra else 0)
            lists.append(np.sort(rng.choice(self.counts["medication"], size=size, replace=False) + 1))
        return tuple(lists)

    # -- patients -------------------------------------------------------------------
    def birth_days(self, patient_index: np.ndarray) -> np.ndarray:
        """Day number of each patient's birth, from the age pyramid; patient 1 is an adult."""
        age_bin = np.searchsorted(np.cumsum(AGE_SHARES), hashing.uniform(self.seed, "patient.age_bin", patient_index),
                                  side="right")
        age_bin = np.minimum(age_bin, len(AGE_SHARES) - 1)
        low, high = AGE_EDGES[age_bin], AGE_EDGES[age_bin + 1]
        years = low + (high - low) * hashing.uniform(self.seed, "patient.age", patient_index)
        years = np.where(patient_index == 0, np.maximum(years, 30.0), years)
        return self.today - np.floor(years * 365.25).astype(np.int64) - 1

    # -- appointments ---------------------------------------------------------------
    @functools.cached_property
    def appointment_plan(self) -> tuple[int, int, int, int]:
        """(past appointments, full status blocks, completed appointments, patient multiplier)."""
        total = self.counts["appointment"]
        future = int(np.floor(total * FUTURE_SHARE + 0.5))
        past = total - future
        full = past // BLOCK
        completed = full * COMPLETED_PER_BLOCK + (past - full * BLOCK)
        if completed < self.counts["medical_record"]:
            raise ValueError(f"{completed} completed appointments cannot carry "
                             f"{self.counts['medical_record']} medical records")
        return past, full, completed, hashing.coprime_multiplier(self.counts["patient"])

    def appointment_core(self, index: np.ndarray) -> dict[str, np.ndarray]:
        """Patient index, doctor index, day, minute and status code for appointment indexes.

        Status codes: 0 Scheduled, 1 Completed, 2 Cancelled, 3 No-show.
        """
        doctors = self.counts["doctor"]
        total = self.counts["appointment"]
        past, full, _, _ = self.appointment_plan
        d = index % doctors
        k = index // doctors
        per_doctor_past = np.maximum(0, (past - d + doctors - 1) // doctors)
        per_doctor_all = (total - d + doctors - 1) // doctors
        is_past = index < past
        slots_past = len(self.past_days) * SLOTS_PER_DAY
        slots_future = len(self.future_days) * SLOTS_PER_DAY
        # A doctor's k-th appointment sits in its own stretch of `gap` slots, so two
        # appointments of one doctor never share a slot, whatever their status.
        count = np.where(is_past, per_doctor_past, per_doctor_all - per_doctor_past)
        kk = np.where(is_past, k, k - per_doctor_past)
        slots = np.where(is_past, slots_past, slots_future)
        if np.any(count > slots):
            raise ValueError("too many appointments per doctor for the calendar; lower the scale")
        gap = slots // np.maximum(count, 1)
        spare = slots - count * gap
        offset = hashing.below(self.seed, "appt.offset", d * 2 + is_past, spare + 1)
        slot = offset + kk * gap + hashing.below(self.seed, "appt.jitter", index, gap)
        day_list = np.where(is_past, 0, 1)
        day = np.where(day_list == 0, self.past_days[np.minimum(slot // SLOTS_PER_DAY, len(self.past_days) - 1)],
                       self.future_days[np.minimum(slot // SLOTS_PER_DAY, len(self.future_days) - 1)])
        minute = CLINIC_OPENS + (slot % SLOTS_PER_DAY) * SLOT_MINUTES
        patient = self._appointment_patients(index, day)
        status = self._statuses(index, is_past, past, full)
        return {"patient": patient, "doctor": d, "day": day, "minute": minute, "status": status}

    def _appointment_patients(self, index: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Patient index per appointment: skewed (some patients visit often), never before birth."""
        n = self.counts["patient"]
        _, _, _, multiplier = self.appointment_plan
        patient = np.zeros(len(index), dtype=np.int64)
        todo = np.ones(len(index), dtype=bool)
        for attempt in range(12):
            u = hashing.uniform(self.seed, f"appt.patient.{attempt}", index[todo])
            # 30% of visits come from a frequent 5% of patients (chronic care), the rest
            # from everyone: about 13 visits for a frequent patient, under 2 for the others.
            frequent = hashing.uniform(self.seed, f"appt.frequent.{attempt}", index[todo]) < FREQUENT_VISITS
            rank = np.floor(u * np.where(frequent, max(1, int(n * FREQUENT_PATIENTS)), n)).astype(np.int64)
            candidate = (rank * multiplier + 7) % n
            ok = self.birth_days(candidate) < day[todo]
            where = np.flatnonzero(todo)
            patient[where[ok]] = candidate[ok]
            todo[where[ok]] = False
            if not todo.any():
                return patient
        patient[todo] = 0  # patient 1 is always an adult
        return patient

    def _statuses(self, index: np.ndarray, is_past: np.ndarray, past: int, full: int) -> np.ndarray:
        status = np.where(hashing.uniform(self.seed, "appt.future_status", index) < FUTURE_CANCELLED, 2, 0)
        in_blocks = is_past & (index < full * BLOCK)
        status = np.where(is_past, 1, status)   # the last, partial block is all Completed
        if in_blocks.any():
            ranks = self._block_ranks(index[in_blocks])
            code = np.where(ranks < COMPLETED_PER_BLOCK, 1,
                            np.where(ranks < COMPLETED_PER_BLOCK + NO_SHOW_PER_BLOCK, 3, 2))
            status[in_blocks] = code
        return status

    def _block_order(self, blocks: np.ndarray) -> np.ndarray:
        """Per block, its positions ordered by a hash; the first 92 are the Completed ones."""
        positions = blocks[:, None] * BLOCK + np.arange(BLOCK)[None, :]
        return np.argsort(hashing.bits(self.seed, "appt.block", positions), axis=1, kind="stable")

    def _block_ranks(self, index: np.ndarray) -> np.ndarray:
        """Each appointment's rank inside its block's hash order."""
        unique, inverse = np.unique(index // BLOCK, return_inverse=True)
        order = self._block_order(unique)
        ranks = np.empty_like(order)
        ranks[np.arange(len(unique))[:, None], order] = np.arange(BLOCK)[None, :]
        return ranks[inverse, index % BLOCK]

    def completed_appointment(self, completed_index: np.ndarray) -> np.ndarray:
        """The appointment index of the c-th Completed appointment, in id order."""
        _, full, _, _ = self.appointment_plan
        in_blocks = completed_index < full * COMPLETED_PER_BLOCK
        result = full * BLOCK + (completed_index - full * COMPLETED_PER_BLOCK)
        if in_blocks.any():
            c = completed_index[in_blocks]
            blocks = c // COMPLETED_PER_BLOCK
            unique, inverse = np.unique(blocks, return_inverse=True)
            done = np.sort(self._block_order(unique)[:, :COMPLETED_PER_BLOCK], axis=1)
            result[in_blocks] = blocks * BLOCK + done[inverse, c % COMPLETED_PER_BLOCK]
        return result

    # -- records, prescriptions -------------------------------------------------------
    def record_appointment(self, record_index: np.ndarray) -> np.ndarray:
        """Appointment index of each medical record: Completed ones, spread evenly, each used once."""
        _, _, completed, _ = self.appointment_plan
        return self.completed_appointment(record_index * completed // self.counts["medical_record"])

    def prescription_record(self, prescription_index: np.ndarray) -> np.ndarray:
        """Medical record index of each prescription, spread evenly over the records."""
        return prescription_index * self.counts["medical_record"] // self.counts["prescription"]

    @functools.cached_property
    def meds_remainder(self) -> int:
        """Rows beyond the repeating pattern's total (may be negative at tiny scales)."""
        q = self.counts["prescription"]
        base = (q // 10) * int(MEDS_PREFIX[-1]) + int(MEDS_PREFIX[q % 10])
        extra = self.counts["prescription_medication"] - base
        if abs(extra) > q:
            raise ValueError("prescription_medication count is out of reach of the size pattern")
        return extra

    def meds_start(self, q: np.ndarray) -> np.ndarray:
        """Index of the first prescription_medication row of prescription q (q may equal the count)."""
        total_q = self.counts["prescription"]
        extra = self.meds_remainder
        base = (q // 10) * int(MEDS_PREFIX[-1]) + MEDS_PREFIX[q % 10]
        return base + np.sign(extra) * (q * abs(extra) // total_q)


def _weekdays(start_day: int, end_day: int) -> np.ndarray:
    days = np.arange(start_day, end_day, dtype=np.int64)
    # 1970-01-01 was a Thursday: (day + 3) % 7 gives Monday = 0.
    return days[(days + 3) % 7 < 5]


@functools.lru_cache(maxsize=4)
def world(seed: int, scale_value: float, as_of: date) -> World:
    """Return the (cached) World for a run."""
    return World(seed, scale_value, as_of, scale.counts(scale_value))
