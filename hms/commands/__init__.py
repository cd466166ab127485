"""The `hms` subcommand groups, one module per area."""

from .console import console
from .db import db
from .roles import roles
from .server import server
from .users import users

GROUPS = [server, db]
GROUPS += [users, roles, console]
