"""The console asks for the admin's own password, in the same form, before it grants admin or dba
or changes an account holding one: missing or wrong, it refuses with a clear message, changes
nothing and records the refusal."""

from __future__ import annotations

import pytest

from tests.support import query
from tests.support.console_client import audit_rows


def _roles(db, name) -> list[str]:
    return [row[0] for row in query(db, "SELECT Role FROM mysql.roles_mapping WHERE User = %s AND Host = '%%'",
                                    (name,))]


def _flashes(auth, path) -> str:
    return auth.client.get(path).get_data(as_text=True)


@pytest.mark.parametrize("role", ["dba", "admin"])
def test_adding_an_admin_or_dba_account_needs_the_admins_password_re_entered(enrolled_auth, db, new_name, role):
    auth = enrolled_auth
    auth.login()
    name = new_name()
    form = {"name": name, "host": "%", "role": role, "password": ""}

    missing = auth.post("/accounts/new", form, "/accounts/new")
    page = missing.get_data(as_text=True)
    assert missing.status_code == 400 and "need your console password re-entered" in page
    wrong = auth.post("/accounts/new", {**form, "reentry": auth.password + "x"}, "/accounts/new")
    assert wrong.status_code == 400 and "you re-entered is wrong" in wrong.get_data(as_text=True)
    assert auth.password + "x" not in wrong.get_data(as_text=True)
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0

    right = auth.post("/accounts/new", {**form, "reentry": auth.password}, "/accounts/new")
    assert right.status_code == 302
    shown = auth.client.get(right.headers["Location"]).get_data(as_text=True)
    assert "shown this once" in shown and auth.password not in shown
    assert _roles(db, name) == [f"hms_{role}"]
    rows = [(a, o, d) for a, t, o, d, _ in audit_rows(db, auth.name) if t == f"{name}@%"]
    assert [(a, o) for a, o, _ in rows] == [("create", "refused"), ("create", "refused"), ("elevate", "success"),
                                            ("create", "success")]
    assert "re-entered" in rows[0][2] and "wrong" in rows[1][2]
    assert auth.password not in " ".join(str(r) for r in audit_rows(db, auth.name))


def test_other_roles_need_no_re_entered_password(enrolled_auth, db, new_name):
    enrolled_auth.login()
    name = new_name()
    response = enrolled_auth.post("/accounts/new", {"name": name, "host": "%", "role": "qa", "password": ""},
                                  "/accounts/new")
    assert response.status_code == 302 and _roles(db, name) == ["hms_qa"]


def test_changing_a_dba_account_needs_the_admins_password_re_entered(enrolled_auth, db, new_name, service):
    auth = enrolled_auth
    auth.login()
    name = new_name()
    auth.post("/accounts/new", {"name": name, "host": "%", "role": "analyst", "password": ""}, "/accounts/new")
    detail = f"/accounts/{name}/%25"
    assert 'name="reentry"' in auth.client.get(detail).get_data(as_text=True)

    # Promoting to dba: refused without the password, done with it.
    auth.post(f"{detail}/role", {"role": "dba"}, detail)
    assert "Nothing was changed" in _flashes(auth, detail) and _roles(db, name) == ["hms_analyst"]
    auth.post(f"{detail}/role", {"role": "dba", "reentry": auth.password}, detail)
    assert "Role changed to dba" in _flashes(auth, detail) and _roles(db, name) == ["hms_dba"]

    # Now a dba account: lock, new password and delete each ask again.
    page = auth.client.get(detail).get_data(as_text=True)
    assert 'id="password-reentry"' in page and 'id="access-reentry"' in page
    auth.post(f"{detail}/lock", {}, detail)
    assert "Nothing was changed" in _flashes(auth, detail)
    assert not service.list(name)[0].locked
    refused = auth.post(f"{detail}/password", {"password": "Console-Pass-77!x"}, detail)
    assert refused.status_code == 302 and "The password was not changed" in _flashes(auth, detail)
    assert 'name="reentry"' in auth.client.get(f"{detail}/delete").get_data(as_text=True)
    auth.post(f"{detail}/delete", {"confirm": "y"}, f"{detail}/delete")
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 1
    response = auth.post(f"{detail}/delete", {"confirm": "y", "reentry": auth.password}, f"{detail}/delete")
    assert response.status_code == 302
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0


def test_an_admin_without_an_enrolled_password_cannot_grant_dba(auth, db, new_name):
    """A console admin the service account made on its own (as a stolen service password could)."""
    auth.login()
    name = new_name()
    response = auth.post("/accounts/new", {"name": name, "host": "%", "role": "dba", "password": "",
                                           "reentry": auth.password}, "/accounts/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "has no enrolled password" in page and "--reset" in page
    assert query(db, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (name,))[0][0] == 0
