"""With --password-check the server itself refuses weak plain-text passwords however they
are set (not only through hms), still takes the hashes hms sends; the
check covers hms's own account commands too."""

from __future__ import annotations

import hashlib
import secrets

import pymysql
import pytest

from hms.server import EmbeddedServer
from tests.support import query

pytestmark = pytest.mark.slow


def admin(home):
    info = EmbeddedServer(home).connection_info()
    return pymysql.connect(unix_socket=info.unix_socket, user=info.user, password=info.password, autocommit=True)


def native_hash(password: str) -> str:
    return "*" + hashlib.sha1(hashlib.sha1(password.encode()).digest()).hexdigest().upper()


@pytest.mark.parametrize("statement", [
    "CREATE USER {name}@'%' IDENTIFIED BY 'weakpass'",
    "CREATE USER {name}@'%' IDENTIFIED BY 'longenoughbutnodigits!A'",
    "SET PASSWORD FOR {name}@'%' = PASSWORD('Short1!a')",
], ids=["create-too-weak", "create-no-digit", "set-password-too-short"])
def test_a_weak_plain_text_password_is_refused_by_the_server(bound, statement):
    conn = admin(bound[0])
    name = f"t_pwc_{secrets.token_hex(3)}"
    try:
        if statement.startswith("SET"):
            query(conn, f"CREATE USER {name}@'%' IDENTIFIED BY 'Strong-Enough-12'")
        with pytest.raises(pymysql.err.OperationalError) as excinfo:
            query(conn, statement.format(name=name))
        assert excinfo.value.args[0] == 1819  # ER_NOT_VALID_PASSWORD
    finally:
        query(conn, f"DROP USER IF EXISTS {name}@'%'")
        conn.close()


def test_a_policy_password_in_text_and_any_hash_are_taken(bound):
    conn = admin(bound[0])
    name = f"t_pwc_{secrets.token_hex(3)}"
    try:
        query(conn, f"CREATE USER {name}@'%' IDENTIFIED BY 'Strong-Enough-12'")
        # A hash cannot be checked: the server takes it (hms checks its policy before hashing).
        query(conn, f"ALTER USER {name}@'%%' IDENTIFIED BY PASSWORD %s", (native_hash("weak"),))
    finally:
        query(conn, f"DROP USER IF EXISTS {name}@'%'")
        conn.close()


def test_hms_users_create_still_works_with_the_check_on(bound):
    hms = bound[3]
    name = f"t_pwc_{secrets.token_hex(3)}"
    result = hms("users", "create", name, "--role", "qa")
    assert result.exit_code == 0, result.output
    assert "password (shown once" in result.output


def test_a_running_server_keeps_its_choices(bound):
    from tests.security.conftest import hms_process

    result = hms_process(bound[0], "server", "start", "--no-password-check")
    assert result.returncode == 1
    assert "already runs with --password-check on" in result.stderr
