"""The indexing study's queries, indexes and figures (mission.md section 7), as benchmarks/queries.py runs them."""

from __future__ import annotations

from dataclasses import dataclass

from harness import ROOT
from hms.migrations import split_statements
from hms.queries import get_query

INDEX_DIR = ROOT / "sql" / "indexes"


@dataclass(frozen=True)
class Index:
    """An index of sql/indexes the study drops and re-creates from its own file."""

    table: str
    name: str
    file: str

    def create_sql(self) -> str:
        (statement,) = split_statements((INDEX_DIR / self.file).read_text(), self.file)
        return statement.sql


ORIGINAL_INDEXES = {
    "V105": Index("appointment", "idx_appointment_patient_doctor", "V105__idx_appointment_patient_doctor.sql"),
    "V106": Index("billing", "idx_billing_patient_amount", "V106__idx_billing_patient_amount.sql"),
    "V107": Index("billing", "idx_billing_total_amount", "V107__idx_billing_total_amount.sql"),
}
OUR_INDEXES = {
    "V109": Index("appointment", "idx_appointment_patient_cover", "V109__idx_appointment_patient_cover.sql"),
}
STUDY_INDEXES = {**ORIGINAL_INDEXES, **OUR_INDEXES}


@dataclass(frozen=True)
class Study:
    """One query of the original study: its original form and index, our best design, its limit."""

    key: str
    title: str
    original_sql: str
    original_index: str
    best_sql: str
    best_design: str
    limit_table: str
    limit_key: str
    aggregates: bool
    original_figures: tuple[str, str]
    why: str = ""


# The original study's queries as an analyst writes them (MariaDB refuses a GROUP BY
# on the key alone when other patient columns are selected, so all five are grouped).
TOTAL_BILLED_ORIGINAL = """
SELECT p.patient_id, p.first_name, p.last_name, p.email, p.phone, SUM(b.total_amount) AS total_billed
  FROM billing AS b
  JOIN patient AS p ON p.patient_id = b.patient_id
 GROUP BY p.patient_id, p.first_name, p.last_name, p.email, p.phone"""

APPOINTMENTS_ORIGINAL = """
SELECT CONCAT(p.first_name, ' ', p.last_name) AS patient_name,
       CONCAT(d.first_name, ' ', d.last_name) AS doctor_name,
       a.starts_at, a.status
  FROM appointment AS a
  JOIN patient AS p ON p.patient_id = a.patient_id
  JOIN doctor AS d ON d.doctor_id = a.doctor_id"""

DISCOUNT_ORIGINAL = """
SELECT bill_id, patient_id, total_amount, calculate_discounted_bill(total_amount, 10) AS discounted
  FROM billing"""

# calculate_discounted_bill's own arithmetic, inlined: the same DECIMAL result with no
# stored-function call per row (each call is a small interpreted program).
DISCOUNT_BEST = """
SELECT bill_id, patient_id, total_amount, ROUND(total_amount * (100 - 10) / 100, 2) AS discounted
  FROM billing"""

STUDIES = [
    Study("total_billed", "total billed per patient, with name, e-mail and phone",
          TOTAL_BILLED_ORIGINAL, "V106", get_query("total_billing_per_patient").sql,
          "patient_billing_summary kept by triggers (V301), joined to patient by PRIMARY KEY",
          "patient", "patient_id", True, ("3 min 6.2 s", "2 min 33.1 s")),
    Study("all_appointments", "every appointment with patient and doctor names, date/time, status",
          APPOINTMENTS_ORIGINAL, "V105", get_query("appointments_summary").sql,
          "the covering index appointment(patient_id, starts_at, doctor_id, status) (V109) read in order, "
          "patient and doctor by PRIMARY KEY (patient lookups in key order)",
          "appointment", "appointment_id", False, ("18 min 9.6 s", "8 min 55.2 s")),
    Study("discounted_bills", "every bill with calculate_discounted_bill(total_amount, 10)",
          DISCOUNT_ORIGINAL, "V107", DISCOUNT_BEST,
          "the function's arithmetic inlined: no stored-function call per row; no index can help",
          "billing", "bill_id", False, ("4 min 42.7 s", "3 min 37.5 s")),
]
