"""The accounts list's filters and sorting (the console's Accounts page): by role, locked or
active, host pattern; sorted by name, host, role or state, either way."""

from __future__ import annotations

from dataclasses import dataclass

SORTS = {
    "name": lambda a: (a.name.lower(), a.host),
    "host": lambda a: (a.host.lower(), a.name.lower()),
    "role": lambda a: (",".join(a.roles) or "~", a.name.lower(), a.host),
    "state": lambda a: (a.locked, a.name.lower(), a.host),
}
STATES = ("", "active", "locked")


@dataclass(frozen=True)
class Listing:
    """What the list shows: every field already checked (unknown values fall back to 'all')."""

    role: str = ""
    state: str = ""
    host: str = ""
    sort: str = "name"
    descending: bool = False

    @classmethod
    def of(cls, role: str, state: str, host: str, sort: str, order: str, roles) -> "Listing":
        return cls(role=role if role in roles else "", state=state if state in STATES else "",
                   host=host.strip()[:255], sort=sort if sort in SORTS else "name", descending=order == "desc")

    def apply(self, accounts: list) -> list:
        """The accounts this listing keeps, in its order."""
        kept = [a for a in accounts
                if (not self.role or self.role in a.roles)
                and (not self.state or a.locked == (self.state == "locked"))
                and (not self.host or a.host == self.host)]
        return sorted(kept, key=SORTS[self.sort], reverse=self.descending)
