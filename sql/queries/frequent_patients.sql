-- Frequent patients: patients with more than 3 appointments (any status), with
-- their appointment count, most frequent first.
-- Index: idx_appointment_patient_starts (patient_id, starts_at) is read as a
-- covering index in patient order, so the counts need no temporary table; the
-- few patients over 3 are then read by PRIMARY KEY.
SELECT p.patient_id,
       p.first_name,
       p.last_name,
       counts.appointments
  FROM (SELECT a.patient_id, COUNT(*) AS appointments
          FROM appointment AS a
         GROUP BY a.patient_id
        HAVING COUNT(*) > 3) AS counts
  JOIN patient AS p ON p.patient_id = counts.patient_id
 ORDER BY counts.appointments DESC, p.patient_id
