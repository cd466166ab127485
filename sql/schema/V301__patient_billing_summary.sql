-- Each patient's bill count and total billed, kept current by the billing triggers
-- (trg_billing_summary_insert / _update / _delete), so "total billed per patient"
-- (sql/queries/total_billing_per_patient.sql) reads 3M ready rows instead of
-- grouping 6M bills. A row exists exactly for the patients with at least one bill.
-- The cost is one extra row write per bill written; see benchmarks/RESULTS.md.
CREATE TABLE patient_billing_summary (
    patient_id   INT UNSIGNED  NOT NULL,
    bills        INT UNSIGNED  NOT NULL,
    total_billed DECIMAL(16,2) NOT NULL,
    PRIMARY KEY (patient_id),
    CONSTRAINT fk_patient_billing_summary_patient FOREIGN KEY (patient_id) REFERENCES patient (patient_id)
        ON DELETE CASCADE,
    CONSTRAINT chk_patient_billing_summary_bills CHECK (bills > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A database that already holds bills starts with the right totals; the triggers,
-- created right after the versioned files, keep them right from then on.
INSERT INTO patient_billing_summary (patient_id, bills, total_billed)
SELECT patient_id, COUNT(*), SUM(total_amount)
  FROM billing
 GROUP BY patient_id;
