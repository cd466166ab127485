"""Which doctor a doctor login is: rows of doctor_login in the hms database.

The doctor role reads only through definer views that keep the rows of the doctor the
session's login is mapped to here (sql/schema/V026-V028), so this mapping is what
"own" means. `hms users create NAME --role doctor --doctor-id N` writes it before the
account exists and removes it again if the account cannot be made; dropping the
account removes it. The service account may read and write this one table (and no
other hms data): hms/service_account.py DATA_GRANTS.
"""

from __future__ import annotations

import pymysql

from . import errcodes
from .connection import error_code
from .errors import HmsError
from .identifiers import quote_identifier


class DoctorLoginError(HmsError):
    """A doctor login that cannot be mapped: no such doctor, or the name is mapped already."""


def check_pairing(role_name: str, doctor_id: int | None) -> None:
    """A doctor account needs a doctor id, and only a doctor account takes one."""
    if role_name == "doctor" and doctor_id is None:
        raise DoctorLoginError("a doctor account needs the doctor it is",
                               "Add --doctor-id N (the doctor's doctor_id)")
    if role_name != "doctor" and doctor_id is not None:
        raise DoctorLoginError(f"--doctor-id is for the doctor role, not {role_name}",
                               "Leave out --doctor-id, or use --role doctor")


def map_login(conn, database: str, login: str, doctor_id: int) -> None:
    """Record that `login` is doctor `doctor_id`."""
    try:
        with conn.cursor() as cur:
            cur.execute(f"INSERT INTO {quote_identifier(database)}.doctor_login (login_name, doctor_id) "
                        "VALUES (%s, %s)", (login, doctor_id))
    except pymysql.err.MySQLError as exc:
        if error_code(exc) == errcodes.NO_REFERENCED_ROW:
            raise DoctorLoginError(f"there is no doctor {doctor_id}",
                                   "Give the doctor_id of an existing doctor") from None
        if error_code(exc) == errcodes.DUPLICATE_KEY:
            raise DoctorLoginError(f"the login '{login}' is already mapped to a doctor",
                                   "Choose another name, or drop that account first") from None
        raise


def unmap_login(conn, database: str, login: str) -> None:
    """Forget which doctor `login` is (nothing when it was none)."""
    with conn.cursor() as cur:
        cur.execute(f"DELETE FROM {quote_identifier(database)}.doctor_login WHERE login_name = %s", (login,))


def mapped_doctor(conn, database: str, login: str) -> int | None:
    """The doctor `login` is mapped to, or None."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT doctor_id FROM {quote_identifier(database)}.doctor_login WHERE login_name = %s",
                    (login,))
        row = cur.fetchone()
    return None if row is None else int(row[0])


def remap_login(conn, database: str, login: str, doctor_id: int | None) -> None:
    """Make `login` doctor `doctor_id` (None: no doctor), whatever it was before.

    DELETE then INSERT (the service account may not UPDATE); when the INSERT is refused
    (no such doctor) the earlier mapping is put back before the error is raised."""
    before = mapped_doctor(conn, database, login)
    if before == doctor_id:
        return
    unmap_login(conn, database, login)
    if doctor_id is None:
        return
    try:
        map_login(conn, database, login, doctor_id)
    except HmsError:
        if before is not None:
            map_login(conn, database, login, before)
        raise
