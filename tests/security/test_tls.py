"""TLS: a server started with --bind refuses plain TCP logins and serves TLS 1.2+ that a
client verifies with `hms server ca`; non-local accounts require TLS; `hms users cert`
issues client certificates an account can be made to require."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess

import pymysql
import pytest

from hms import dialect as dialects
from hms.server import EmbeddedServer
from tests.support import query

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ca_file(bound, tmp_path_factory):
    home, _, _, hms = bound
    result = hms("server", "ca")
    assert result.exit_code == 0 and result.output.startswith("-----BEGIN CERTIFICATE-----")
    path = tmp_path_factory.mktemp("ca") / "hms-ca.pem"
    path.write_text(result.output)
    return path


@pytest.fixture(scope="module")
def plain_account(bound):
    """An account for any host made by hand (no REQUIRE SSL): only require_secure_transport guards it."""
    home = bound[0]
    name, password = f"t_tls_{secrets.token_hex(3)}", secrets.token_urlsafe(16) + "aA1!"
    admin = pymysql.connect(**_socket(home))
    with admin.cursor() as cur:
        cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (name, password))
    admin.close()
    return name, password


def _socket(home):
    info = EmbeddedServer(home).connection_info()
    return {"unix_socket": info.unix_socket, "user": info.user, "password": info.password}


def test_keys_are_private_and_the_server_listens_beyond_loopback(bound):
    home, address, port, _ = bound
    for key in ("ca-key.pem", "server-key.pem"):
        assert stat.S_IMODE(os.stat(home / "tls" / key).st_mode) == 0o600, key
    admin = pymysql.connect(**_socket(home))
    assert dict(query(admin, "SHOW GLOBAL VARIABLES WHERE Variable_name IN "
                             "('require_secure_transport', 'bind_address')"))["require_secure_transport"] == "ON"
    admin.close()


def test_a_plain_tcp_login_to_a_bound_server_is_refused(bound, plain_account):
    _, address, port, _ = bound
    with pytest.raises(pymysql.err.OperationalError) as excinfo:
        pymysql.connect(host=address, port=port, user=plain_account[0], password=plain_account[1],
                        ssl_disabled=True, connect_timeout=10)
    # MariaDB answers a refused insecure transport as a refused login (the next test logs in).
    assert excinfo.value.args[0] in (1045, 3159)  # access denied, or MySQL's "insecure transport"


def test_the_same_login_with_the_ca_and_verification_uses_tls_1_2_or_newer(bound, plain_account, ca_file):
    _, address, port, _ = bound
    conn = pymysql.connect(host=address, port=port, user=plain_account[0], password=plain_account[1],
                           ssl_ca=str(ca_file), ssl_verify_cert=True, ssl_verify_identity=True, connect_timeout=10)
    version = dict(query(conn, "SHOW SESSION STATUS LIKE 'Ssl_version'"))["Ssl_version"]
    conn.close()
    assert version in ("TLSv1.2", "TLSv1.3")


def test_the_mariadb_client_verifies_the_server_as_the_readme_shows(bound, plain_account, ca_file, tmp_path):
    _, address, port, _ = bound
    client = dialects.MARIADB.client_binary()
    options = tmp_path / "login.cnf"
    options.write_text(f"[client]\nuser={plain_account[0]}\npassword={plain_account[1]}\n")
    options.chmod(0o600)
    result = subprocess.run([client, f"--defaults-extra-file={options}", "-h", address, "-P", str(port),
                             f"--ssl-ca={ca_file}", "--ssl-verify-server-cert", "-N", "-e",
                             "SHOW SESSION STATUS LIKE 'Ssl_version'"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "TLSv1." in result.stdout


def test_a_server_certificate_from_another_ca_is_rejected(bound, plain_account, tmp_path):
    from hms import tls

    _, address, port, _ = bound
    other = tls.ensure(tmp_path / "other")
    with pytest.raises(pymysql.err.OperationalError) as excinfo:
        pymysql.connect(host=address, port=port, user=plain_account[0], password=plain_account[1],
                        ssl_ca=str(other.ca_cert), ssl_verify_cert=True, connect_timeout=10)
    assert "certificate verify failed" in str(excinfo.value)


def test_an_hms_account_for_a_remote_host_requires_tls_and_a_local_one_does_not(bound, ca_file):
    home, address, port, hms = bound
    name = f"t_rem_{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(16) + "aA1!"
    assert hms("users", "create", name, "--role", "analyst", "--password-stdin", input=password + "\n").exit_code == 0
    local = f"t_loc_{secrets.token_hex(3)}"
    assert hms("users", "create", local, "--role", "analyst", "--host", "localhost").exit_code == 0
    admin = pymysql.connect(**_socket(home))
    assert "REQUIRE SSL" in query(admin, f"SHOW CREATE USER `{name}`@'%'")[0][0]
    assert "REQUIRE" not in query(admin, f"SHOW CREATE USER `{local}`@'localhost'")[0][0]
    assert f"GRANT USAGE ON *.* TO `{name}`@`%` REQUIRE SSL" in hms("users", "show", name).output
    # require_secure_transport off for a moment: the account's own REQUIRE SSL still refuses plain TCP.
    query(admin, "SET GLOBAL require_secure_transport = OFF")
    try:
        with pytest.raises(pymysql.err.OperationalError) as excinfo:
            pymysql.connect(host=address, port=port, user=name, password=password, ssl_disabled=True,
                            connect_timeout=10)
        assert excinfo.value.args[0] == 1045
        pymysql.connect(host=address, port=port, user=name, password=password, ssl_ca=str(ca_file),
                        ssl_verify_cert=True, connect_timeout=10).close()
    finally:
        query(admin, "SET GLOBAL require_secure_transport = ON")
        admin.close()


def test_users_cert_issues_a_certificate_the_account_must_then_present(bound, ca_file, tmp_path):
    home, address, port, hms = bound
    name = f"t_x509_{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(16) + "aA1!"
    assert hms("users", "create", name, "--role", "analyst", "--password-stdin", input=password + "\n").exit_code == 0
    result = hms("users", "cert", name, "--require", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "REQUIRE X509" in hms("users", "show", name).output
    login = dict(host=address, port=port, user=name, password=password, ssl_ca=str(ca_file),
                 ssl_verify_cert=True, connect_timeout=10)
    with pytest.raises(pymysql.err.OperationalError) as excinfo:
        pymysql.connect(**login)
    assert excinfo.value.args[0] == 1045
    conn = pymysql.connect(**login, ssl_cert=str(cert), ssl_key=str(key))
    assert query(conn, "SELECT CURRENT_USER()")[0][0] == f"{name}@%"
    conn.close()


def test_bind_takes_an_ip_address_and_a_running_server_keeps_its_own(bound):
    hms = bound[3]
    result = hms("server", "start", "--bind", "db.example.org")
    assert result.exit_code == 1 and "is not an IP address" in result.output
    result = hms("server", "start", "--bind", "127.0.0.1")
    assert result.exit_code == 1 and "already runs bound to" in result.output


def test_an_account_that_requires_tls_logs_in_over_the_unix_socket_through_hms(bound, plain_account):
    """`hms users create` makes non-local accounts REQUIRE SSL, and MariaDB holds a Unix-socket
    login to it too: hms's connections ask for TLS over the socket when the server offers it."""
    from hms.connection import ConnectionInfo, connect

    home = bound[0]
    name, password = plain_account
    admin = pymysql.connect(**_socket(home))
    with admin.cursor() as cur:
        cur.execute("ALTER USER %s@'%%' REQUIRE SSL", (name,))
    admin.close()
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(unix_socket=_socket(home)["unix_socket"], user=name, password=password, ssl_disabled=True)
    conn = connect(ConnectionInfo(user=name, password=password, unix_socket=_socket(home)["unix_socket"]),
                   database=None)
    assert dict(query(conn, "SHOW SESSION STATUS LIKE 'Ssl_version'"))["Ssl_version"] in ("TLSv1.2", "TLSv1.3")
    conn.close()
