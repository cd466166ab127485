"""The receptionist and doctor roles: the receptionist schedules only through the
routines; each doctor login sees only its own doctor's rows, by the database."""

from __future__ import annotations

import pymysql
import pytest
from click.testing import CliRunner

from cli import cli
from hms import errcodes
from hms.accounts import AccountManager
from hms.connection import connect
from tests.scheduling.conftest import at, book, monday
from tests.support import query


def test_the_receptionist_books_through_the_routines_and_writes_nothing_directly(db, sched, account):
    doctor, patient = sched.scheduled_doctor(), sched.patient()
    desk = connect(account("hms_receptionist"))
    try:
        appointment = book(desk, patient, doctor, at(monday(110), "10:00"))
        assert query(desk, "SELECT status FROM appointment WHERE appointment_id = %s", (appointment,)) == [("Scheduled",)]
        with desk.cursor() as cur:
            cur.execute("CALL search_patients('Ient', 5)")
        for sql in ("UPDATE appointment SET status = 'Cancelled' WHERE appointment_id = %s" % appointment,
                    "DELETE FROM waitlist_entry", "INSERT INTO public_holiday VALUES ('2099-01-01', 'x')"):
            with pytest.raises(pymysql.err.MySQLError) as excinfo:
                with desk.cursor() as cur:
                    cur.execute(sql)
            assert excinfo.value.args[0] == errcodes.TABLEACCESS_DENIED, sql
        with pytest.raises(pymysql.err.MySQLError):
            query(desk, "SELECT COUNT(*) FROM medical_record")
    finally:
        desk.close()


def test_two_doctor_logins_each_see_only_their_own(db, sched, service_login, migrated, new_name):
    doctors = [sched.scheduled_doctor(), sched.scheduled_doctor()]
    patients = [sched.patient(), sched.patient()]
    day = monday(111)
    for doctor, patient in zip(doctors, patients):
        book(db, patient, doctor, at(day, "10:00"))
        sched.record(doctor, patient)
    service = connect(service_login, database=None)
    manager = AccountManager(service, migrated.database, actor="pytest", source="tests")
    names = [new_name("t_doc"), new_name("t_doc")]
    try:
        logins = []
        for name, doctor in zip(names, doctors):
            password = manager.create(name, "doctor", doctor_id=doctor)
            logins.append(migrated.with_login(name, password))
        for login, doctor, patient in zip(logins, doctors, patients):
            conn = connect(login)
            try:
                assert query(conn, "SELECT DISTINCT doctor_id FROM doctor_my_appointments") == [(doctor,)]
                assert query(conn, "SELECT patient_id FROM doctor_my_patients") == [(patient,)]
                assert query(conn, "SELECT DISTINCT patient_id FROM doctor_my_medical_records") == [(patient,)]
                with pytest.raises(pymysql.err.MySQLError) as excinfo:
                    query(conn, "SELECT COUNT(*) FROM appointment")
                assert excinfo.value.args[0] == errcodes.TABLEACCESS_DENIED
            finally:
                conn.close()
    finally:
        for name in names:
            try:
                manager.drop(name)
            except Exception:
                pass
        service.close()
    assert query(db, "SELECT COUNT(*) FROM doctor_login WHERE login_name IN (%s, %s)", tuple(names)) == [(0,)]


def test_a_doctor_account_needs_an_existing_doctor(service_login, migrated, new_name, db):
    service = connect(service_login, database=None)
    manager = AccountManager(service, migrated.database, actor="pytest", source="tests")
    name = new_name("t_doc")
    try:
        with pytest.raises(Exception) as excinfo:
            manager.create(name, "doctor")
        assert "--doctor-id" in str(excinfo.value.fix)
        with pytest.raises(Exception) as excinfo:
            manager.create(name, "doctor", doctor_id=4_000_000_000 - 1)
        assert "there is no doctor" in excinfo.value.what
        assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,)) == [(0,)]
    finally:
        service.close()


def test_the_cli_maps_a_doctor_login_and_refuses_one_without_a_doctor(migrated, service_login, service_home, sched,
                                                                      db, new_name):
    env = {"HMS_DATABASE_URL": migrated.url(hide_password=False), "HMS_DATABASE": migrated.database,
           "HMS_HOME": str(service_home), "HMS_SERVICE_PASSWORD": ""}

    def hms(*args, stdin=None):
        return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)

    doctor, name, other = sched.doctor(), new_name("t_doc"), new_name("t_doc")
    done = hms("users", "create", name, "--role", "doctor", "--doctor-id", str(doctor), "--password-stdin",
               stdin="Doc-Pass-4242!x\n")
    assert done.exit_code == 0, done.output
    assert query(db, "SELECT doctor_id FROM doctor_login WHERE login_name = %s", (name,)) == [(doctor,)]
    refused = hms("users", "create", other, "--role", "doctor")
    assert refused.exit_code == 1 and "--doctor-id" in refused.output
    assert hms("users", "drop", name).exit_code == 0
    assert query(db, "SELECT COUNT(*) FROM doctor_login WHERE login_name = %s", (name,)) == [(0,)]


def test_set_role_maps_remaps_and_unmaps_a_doctor_login(migrated, service_login, service_home, sched, db, new_name):
    env = {"HMS_DATABASE_URL": migrated.url(hide_password=False), "HMS_DATABASE": migrated.database,
           "HMS_HOME": str(service_home), "HMS_SERVICE_PASSWORD": ""}

    def hms(*args, stdin=None):
        return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)

    def mapping():
        return query(db, "SELECT doctor_id FROM doctor_login WHERE login_name = %s", (name,))

    first, second, name = sched.doctor(), sched.doctor(), new_name("t_doc")
    assert hms("users", "create", name, "--role", "analyst", "--password-stdin", stdin="Doc-Pass-4242!x\n").exit_code == 0
    try:
        refused = hms("users", "set-role", name, "doctor")
        assert refused.exit_code == 1 and "--doctor-id" in refused.output and len(refused.output.splitlines()) == 1
        missing = hms("users", "set-role", name, "doctor", "--doctor-id", "999999999")
        assert missing.exit_code == 1 and "no doctor 999999999" in missing.output
        assert mapping() == [] and "roles:         analyst" in hms("users", "show", name).output
        done = hms("users", "set-role", name, "doctor", "--doctor-id", str(first))
        assert done.exit_code == 0 and f"now holds role doctor as doctor {first}" in done.output
        assert mapping() == [(first,)]
        assert hms("users", "set-role", name, "doctor", "--doctor-id", str(second)).exit_code == 0
        assert mapping() == [(second,)]
        wrong = hms("users", "set-role", name, "analyst", "--doctor-id", str(first))
        assert wrong.exit_code == 1 and "--doctor-id is for the doctor role" in wrong.output
        assert hms("users", "set-role", name, "analyst").exit_code == 0
        assert mapping() == []
    finally:
        hms("users", "drop", name)
