"""Logging in as an account a test made, and asserting what the server refuses it."""

from __future__ import annotations

import pymysql
import pytest


def login(migrated, name, password, host_database=True):
    """An open connection as the account (the caller closes it)."""
    return pymysql.connect(user=name, password=password, host=migrated.host, port=migrated.port,
                           unix_socket=migrated.unix_socket, database=migrated.database if host_database else None,
                           connect_timeout=10, autocommit=True)


def refused(conn, sql, args=None) -> int:
    """The error code the server answers `sql` with (fails the test if it succeeds)."""
    with pytest.raises(pymysql.err.MySQLError) as excinfo:
        with conn.cursor() as cur:
            cur.execute(sql, args)
    return excinfo.value.args[0]
