"""The eight hms roles: the only roles the account tools hand out.

The command line and the console name them `admin`, `analyst`, `developer`, `dba`,
`auditor`, `qa`, `receptionist` and `doctor`; on the server they are the MySQL roles hms_<name>, created by
sql/roles/. The list is fixed in code: a role name from a user is looked up here,
never pasted into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import HmsError


class UnknownRole(HmsError):
    """A role name that is not one of the eight."""


@dataclass(frozen=True)
class Role:
    """One hms role: its command-line name, MySQL role, title and what it may do."""

    name: str
    mysql_role: str
    title: str
    description: str


ROLES: dict[str, Role] = {role.name: role for role in (
    Role("admin", "hms_admin", "Admin",
         "General system administrator: ALL PRIVILEGES on the hms database"),
    Role("analyst", "hms_analyst", "Data Analyst",
         "Builds reports and charts: SELECT only, and the read-only routines"),
    Role("developer", "hms_developer", "Developer",
         "Builds application features: SELECT, INSERT, UPDATE, DELETE, and the routines"),
    Role("dba", "hms_dba", "DBA",
         "Highest authority: ALL PRIVILEGES server-wide WITH GRANT OPTION (superuser)"),
    Role("auditor", "hms_auditor", "Auditor",
         "Reviews for compliance: SELECT only, including the console's audit log"),
    Role("qa", "hms_qa", "QA Support",
         "Testers and support staff: SELECT and INSERT, and the routines"),
    Role("receptionist", "hms_receptionist", "Receptionist",
         "Front desk: the scheduling routines, reads schedules and the patient search, invoices visits, "
         "takes payments and reads invoice balances; writes no table directly"),
    Role("doctor", "hms_doctor", "Doctor",
         "Clinician: reads its own schedule, patients and records (views filtered by its doctor_login mapping) "
         "and which medications are in stock"),
)}

BY_MYSQL_ROLE: dict[str, Role] = {role.mysql_role: role for role in ROLES.values()}
ROLE_NAMES: tuple[str, ...] = tuple(ROLES)


def get_role(name: str) -> Role:
    """Return the role called `name` (cli name or MySQL role name), else raise UnknownRole."""
    role = ROLES.get(name) or BY_MYSQL_ROLE.get(name)
    if role is None:
        shown = name if len(name) <= 40 and name.isprintable() else repr(name[:40])
        raise UnknownRole(f"'{shown}' is not an hms role",
                          f"Use one of: {', '.join(ROLE_NAMES)} (see `hms roles list`)")
    return role
