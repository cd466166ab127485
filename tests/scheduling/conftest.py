"""Fixtures of the scheduling tests: doctors with availability templates, a free
Monday far enough ahead (racing sessions: tests/support/races.py). They run against the session's migrated
database (root fixtures `db`, `clinic`, `migrated`, `account`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pymysql
import pytest

from tests.support import Clinic, query


def monday(weeks: int) -> date:
    """A Monday `weeks` weeks ahead (tests take different weeks, so they never share a day)."""
    today = date.today()
    return today + timedelta(days=7 * weeks - today.weekday())


def at(day: date, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute)


def call(conn, sql: str, args=None, out: str | None = None):
    """Run a CALL; return @out's value when named."""
    with conn.cursor() as cur:
        cur.execute(sql, args)
        while cur.nextset():
            pass
        if out:
            cur.execute(f"SELECT {out}")
            return cur.fetchone()[0]
    return None


def refusal(conn, sql: str, args=None) -> tuple[int, str]:
    with pytest.raises(pymysql.err.MySQLError) as excinfo:
        call(conn, sql, args)
    return excinfo.value.args[0], excinfo.value.args[1]


def book(conn, patient, doctor, starts, minutes=30) -> int:
    return call(conn, "CALL book_slot(%s, %s, %s, %s, NULL, 'test', @hms_booked)",
                (patient, doctor, starts, minutes), out="@hms_booked")


def overlapping_pairs(db, column: str, value: int) -> int:
    """Pairs of Scheduled appointments of one doctor or patient overlapping in the same seat (doctor) or at all."""
    same_seat = "AND a.seat = b.seat" if column == "doctor_id" else ""
    return query(db, f"""
        SELECT COUNT(*) FROM appointment AS a JOIN appointment AS b
          ON b.{column} = a.{column} AND b.appointment_id > a.appointment_id {same_seat}
         AND b.starts_at < a.starts_at + INTERVAL a.duration_minutes MINUTE
         AND a.starts_at < b.starts_at + INTERVAL b.duration_minutes MINUTE
       WHERE a.{column} = %s AND a.status = 'Scheduled' AND b.status = 'Scheduled'""", (value,))[0][0]


class Schedule(Clinic):
    """Clinic rows plus availability templates."""

    def template(self, doctor: int, start="08:00", end="17:00", slot=30, capacity=1, weekdays=range(7)) -> None:
        for weekday in weekdays:
            self._id("INSERT INTO doctor_availability (doctor_id, weekday, starts_time, ends_time, slot_minutes, "
                     "capacity, valid_from) VALUES (%s, %s, %s, %s, %s, %s, '2000-01-01')",
                     (doctor, weekday, start, end, slot, capacity))

    def scheduled_doctor(self, department=None, **template) -> int:
        doctor = self.doctor(department)
        self.template(doctor, **template)
        return doctor


@pytest.fixture
def sched(db) -> Schedule:
    return Schedule(db)
