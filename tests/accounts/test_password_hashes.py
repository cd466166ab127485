"""Passwords reach the server only as hashes: the hashes are the ones the server makes, and
the account procedures refuse anything else (a password in clear, an empty hash)."""

from __future__ import annotations

import pymysql
import pytest

from hms import errcodes
from hms.connection import connect
from hms.passwords import SHA2_SALT_LENGTH, caching_sha2_hash, generate, native_hash, sha256_crypt
from tests.support import query

# SHA-crypt (SHA-256) as glibc's crypt(3) computes it: crypt("Hello world!", "$5$saltstring") and
# crypt(<long text>, "$5$rounds=1400$anotherlongsalts").
GLIBC_SHA256_CRYPT = [
    (b"Hello world!", b"saltstring", 5000, "5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"),
    (b"a very much longer text to encrypt.  This one even stretches over morethan one line.",
     b"anotherlongsalts", 1400, "Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1"),
]


@pytest.mark.parametrize("password, salt, rounds, digest", GLIBC_SHA256_CRYPT)
def test_sha256_crypt_matches_glibc(password, salt, rounds, digest):
    assert sha256_crypt(password, salt, rounds) == digest


def test_caching_sha2_hash_has_mysqls_stored_form():
    password = generate()
    made = caching_sha2_hash(password)
    assert len(made) == 70 and made.startswith("$A$005$") and "'" not in made
    salt = made[7:7 + SHA2_SALT_LENGTH]
    # The salt is used whole (20 bytes, not crypt(3)'s 16) and the hash is reproducible from it.
    assert caching_sha2_hash(password, salt) == made
    assert made.endswith(sha256_crypt(password.encode(), salt.encode(), 5000))
    assert sha256_crypt(password.encode(), salt.encode(), 5000) != sha256_crypt(password.encode(), salt[:16].encode(), 5000)
    assert caching_sha2_hash(password) != made   # a new salt each time


def test_native_hash_is_what_the_server_stores(db, dialect):
    assert native_hash("password") == "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
    if dialect.is_mariadb:   # MySQL 8.4 has no PASSWORD() left to compare with
        password = generate()
        assert query(db, "SELECT PASSWORD(%s)", (password,)) == [(native_hash(password),)]


def test_identified_sends_only_the_hash(dialect):
    password = generate()
    clause, sent = dialect.identified(password)
    assert password not in sent
    if dialect.is_mariadb:
        assert (clause, sent) == ("IDENTIFIED BY PASSWORD %s", native_hash(password))
    else:
        assert clause == "IDENTIFIED WITH caching_sha2_password AS %s" and sent.startswith("$A$005$")


@pytest.mark.parametrize("value", ["Plain-Text-Pass-42!", "", "*" + "G" * 40, "*" + "A" * 39])
def test_the_procedures_refuse_anything_but_a_hash(service, service_login, new_name, db, migrated, value):
    name = new_name()
    password = service.create(name, "analyst")
    conn = connect(service_login, database=None)
    try:
        for statement, args in ((f"CALL `{service.schema}`.account_set_password(%s, '%%', %s)", (name, value)),
                                (f"CALL `{service.schema}`.account_create(%s, '%%', 'hms_analyst', %s)",
                                 (name + "_x", value))):
            with pytest.raises(pymysql.err.MySQLError) as excinfo:
                with conn.cursor() as cur:
                    cur.execute(statement, args)
            assert excinfo.value.args[0] == errcodes.SIGNAL_EXCEPTION
            assert "sent as its hash" in excinfo.value.args[1] and (not value or value not in excinfo.value.args[1])
    finally:
        conn.close()
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name + "_x",)) == [(0,)]
    # The account still has the password it was created with.
    pymysql.connect(user=name, password=password, host=migrated.host, port=migrated.port,
                    unix_socket=migrated.unix_socket).close()
