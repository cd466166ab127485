"""Install or upgrade hms in a database: apply sql/, then (re)create the console's service account.

What `hms db migrate` does; the console and the tests reach the same state through it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from . import service_account
from .connection import ConnectionInfo
from .migrations import MigrationResult, Migrator, Step


def install(admin: ConnectionInfo, home: Path, *, dry_run: bool = False, reapply: bool = False,
            on_step: Callable[[Step], None] | None = None,
            take_over_service_account: bool = False) -> MigrationResult:
    """Migrate `admin.database` (and its console schema); then make sure the service account can work.

    The service account is refreshed after every real run: re-created account procedures
    lose the per-procedure grants the server held on them. Its password has one owner per
    server (service_account.py): when another hms home owns it, nothing is migrated and
    ServiceAccountError says so, unless `take_over_service_account`.
    """
    if not take_over_service_account:
        service_account.check_owner(admin, home)  # before anything changes, so a refusal leaves all as it was
    result = Migrator(admin, on_step=on_step).migrate(dry_run=dry_run, reapply=reapply)
    if not dry_run:
        service_account.ensure(admin, home, take_over=take_over_service_account)
    return result
