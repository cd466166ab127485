"""The console's account page shows and sets the password's expiry (PASSWORD EXPIRE INTERVAL)."""

from __future__ import annotations

from tests.support import query
from tests.support.console_client import audit_rows


def test_account_page_sets_shows_and_clears_the_password_expiry(auth, db, new_name, dialect):
    auth.login()
    name = new_name()
    auth.post("/accounts/new", {"name": name, "host": "%", "role": "qa", "password": "Console-Pass-71!"},
              "/accounts/new")
    detail = f"/accounts/{name}/%25"
    assert "never expires" in auth.client.get(detail).get_data(as_text=True)

    assert auth.post(f"{detail}/expiry", {"days": "30"}, detail).status_code == 302
    page = auth.client.get(detail).get_data(as_text=True)
    assert "now expires every 30 days" in page and "expires every 30 days, set " in page
    lifetime = ("SELECT JSON_VALUE(Priv, '$.password_lifetime') FROM mysql.global_priv WHERE User = %s"
                if dialect.is_mariadb else "SELECT password_lifetime FROM mysql.user WHERE User = %s")
    assert int(query(db, lifetime, (name,))[0][0]) == 30

    auth.post(f"{detail}/expiry", {"days": "0"}, detail)
    assert "give 1-65535 days" in auth.client.get(detail).get_data(as_text=True)
    assert int(query(db, lifetime, (name,))[0][0]) == 30
    auth.post(f"{detail}/expiry", {"days": ""}, detail)
    assert "now never expires" in auth.client.get(detail).get_data(as_text=True)
    assert int(query(db, lifetime, (name,))[0][0]) == 0
    details = [d for a, t, o, d, _ in audit_rows(db, auth.name) if a == "set-expiry" and o == "success"]
    assert details == ["every 30 days", "never"]
