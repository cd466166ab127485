"""Console admins whose password is enrolled for elevation, as `hms console create-admin` leaves them."""

from __future__ import annotations

import contextlib
import secrets
from typing import Iterator

from hms import console_admins, elevation
from hms.connection import ConnectionInfo, connect
from hms.databases import console_schema
from hms.passwords import generate


@contextlib.contextmanager
def enrolled_admin(service_login: ConnectionInfo, admin_login: ConnectionInfo) -> Iterator[tuple[str, str]]:
    """Yield (name, password) of a console admin made by the service account and enrolled by the
    administrative login `admin_login` (whose database names the console schema); deleted afterwards."""
    name, password = f"adm_{secrets.token_hex(4)}", generate()
    schema = console_schema(admin_login.database)
    conn = connect(service_login, database=None)
    try:
        console_admins.create(conn, schema, name, password)
        admin = connect(admin_login, database=None)
        try:
            elevation.enroll(admin, schema, name, password)
        finally:
            admin.close()
        yield name, password
        with contextlib.suppress(console_admins.AdminError):
            console_admins.delete(conn, schema, name)
    finally:
        conn.close()
