"""The small hand-made clinic the analyst queries are checked against, as plain Python
data (each test computes the expected answer from it), and the nine query names."""

from __future__ import annotations

from datetime import date, datetime, timedelta

NINE = {"appointments_summary", "doctors_by_department", "room_assignment_status",
        "patients_who_visited_cardiologists", "frequent_patients", "departments_with_multiple_doctors",
        "total_billing_per_patient", "medication_types_per_department", "appointments_per_doctor"}

DEPARTMENTS = ["Cardiology", "Pediatrics", "Dermatology", "Surgery"]          # ids 1..4
DOCTORS = [  # (first, last, specialization, department id); ids 1..6
    ("Hana", "Berg", "Cardiology", 1), ("Omar", "Adler", "Interventional Cardiology", 1),
    ("Ines", "Cole", "Cardiac Electrophysiology", 1), ("Luca", "Diaz", "Pediatrics", 2),
    ("Mia", "Evans", "Neonatology", 2), ("Noor", "Fox", "Dermatology", 3),
]
PATIENTS = [  # (first, last, email, phone); ids 1..8
    ("Ann", "Zeller", "ann@example.org", "+1-555-0101"), ("Bob", "Young", None, "+1-555-0102"),
    ("Cy", "Xu", "cy@example.org", "+1-555-0103"), ("Dee", "Ward", "dee@example.org", "+1-555-0104"),
    ("Eve", "Vance", "eve@example.org", "+1-555-0105"), ("Fay", "Usher", None, "+1-555-0106"),
    ("Gus", "Tate", "gus@example.org", "+1-555-0107"), ("Hal", "Stone", "hal@example.org", "+1-555-0108"),
]
PAST = datetime(2024, 3, 4, 9, 0)
FUTURE = datetime.combine(date.today() + timedelta(days=40), datetime.min.time()).replace(hour=9)
APPOINTMENTS = [  # (patient id, doctor id, starts_at, status); ids 1..n in this order
    (1, 1, PAST, "Completed"), (1, 4, PAST, "Completed"), (1, 6, PAST, "No-show"),
    (1, 2, PAST + timedelta(hours=1), "Completed"), (1, 5, FUTURE, "Scheduled"),       # Ann: 5, cardiology
    (2, 2, PAST, "Cancelled"), (2, 2, PAST + timedelta(days=1), "Cancelled"),
    (2, 4, PAST + timedelta(hours=1), "Completed"), (2, 5, PAST, "Completed"),         # Bob: 4, only cancelled cardio
    (3, 3, FUTURE, "Scheduled"), (3, 4, PAST + timedelta(hours=2), "Completed"),
    (3, 6, PAST + timedelta(hours=1), "Completed"),                                    # Cy: 3, cardio only future
    (4, 3, PAST, "Completed"), (4, 3, PAST + timedelta(days=2), "Completed"),          # Dee: cardio twice
    (5, 6, PAST + timedelta(hours=2), "Completed"),
    (7, 1, PAST + timedelta(hours=1), "Completed"), (7, 1, PAST + timedelta(hours=2), "Completed"),
    (7, 1, PAST + timedelta(hours=3), "Completed"), (7, 1, PAST + timedelta(hours=4), "No-show"),
    (7, 1, PAST + timedelta(hours=5), "Cancelled"),                                     # Gus: 5, cardiology
]
BILLS = [  # (patient id, total_amount)
    (1, "120.00"), (1, "80.50"), (1, "0.00"), (2, "45.25"), (3, "1000.00"), (3, "999.99"),
    (4, "10.10"), (4, "20.20"), (4, "30.30"), (4, "40.40"), (7, "75.00"), (8, "12345.67"),
]
MEDICATIONS = [("Aspirin", "Tablet"), ("Amoxicillin", "Capsule"), ("Ibuprofen", "Tablet"),
               ("Salbutamol", "Inhaler"), ("Hydrocortisone", "Ointment")]        # ids 1..5
STOCK = [(1, 1), (1, 3), (1, 4), (2, 2), (2, 3), (2, 4), (2, 5), (3, 5)]     # (department, medication)
ROOMS = [("101", "General", None), ("102", "ICU", 4), ("201", "Private", None), ("103", "Isolation", 2)]


def insert_clinic(conn) -> None:
    """Insert the clinic above; ids follow list order because the database is new."""
    with conn.cursor() as cur:
        for name in DEPARTMENTS:
            cur.execute("INSERT INTO department (name, location) VALUES (%s, 'Main')", (name,))
        for i, (first, last, spec, dep) in enumerate(DOCTORS, 1):
            cur.execute("INSERT INTO doctor (first_name, last_name, specialization, department_id, email, "
                        "license_number, hire_date) VALUES (%s, %s, %s, %s, %s, %s, '2010-01-01')",
                        (first, last, spec, dep, f"doc{i}@example.org", f"LIC{i}"))
        for first, last, email, phone in PATIENTS:
            cur.execute("INSERT INTO patient (first_name, last_name, date_of_birth, gender, phone, email, "
                        "address, city) VALUES (%s, %s, '1970-01-01', 'Other', %s, %s, '1 Elm St', 'Oslo')",
                        (first, last, phone, email))
        for patient, doctor, starts_at, status in APPOINTMENTS:
            cur.execute("INSERT INTO appointment (patient_id, doctor_id, starts_at, status) VALUES (%s, %s, %s, %s)",
                        (patient, doctor, starts_at, status))
        for patient, amount in BILLS:
            cur.execute("INSERT INTO billing (patient_id, total_amount, bill_date, due_date) "
                        "VALUES (%s, %s, '2024-03-04', '2024-04-04')", (patient, amount))
        for name, form in MEDICATIONS:
            cur.execute("INSERT INTO medication (name, form, strength, manufacturer, unit_price) "
                        "VALUES (%s, %s, '10 mg', 'Acme', 1.00)", (name, form))
        for dep, med in STOCK:
            cur.execute("INSERT INTO department_medication (department_id, medication_id, stock_quantity) VALUES (%s, %s, 100)", (dep, med))
        for number, kind, patient in ROOMS:
            cur.execute("INSERT INTO room (room_number, room_type, daily_rate, is_available, patient_id) "
                        "VALUES (%s, %s, 100.00, %s, %s)", (number, kind, patient is None, patient))
