"""Values shown once after a redirect (post/redirect/get): a generated password is kept in the
console process's memory, never in the (signed but readable) session cookie, under a random
token bound to the admin who made it, and handed out by the next GET only once, within
KEEP_SECONDS. A refresh of that page, or a copied link, finds nothing."""

from __future__ import annotations

import secrets
import threading
import time

from flask import current_app

KEEP_SECONDS = 120
_lock = threading.Lock()


def _store() -> dict:
    return current_app.extensions.setdefault("hms_shown_once", {})


def keep(owner: str, value: dict) -> str:
    """Keep `value` for `owner`'s next GET; return its token."""
    token = secrets.token_urlsafe(16)
    now = time.monotonic()
    with _lock:
        store = _store()
        for stale in [t for t, (_, _, at) in store.items() if now - at > KEEP_SECONDS]:
            del store[stale]
        store[token] = (owner, value, now)
    return token


def take(owner: str, token: str) -> dict | None:
    """The value kept under `token` for `owner`, removed; None when gone, expired or another admin's."""
    with _lock:
        found = _store().pop(token, None)
    if found is None or found[0] != owner or time.monotonic() - found[2] > KEEP_SECONDS:
        return None
    return found[1]
