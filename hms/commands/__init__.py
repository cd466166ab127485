"""The `hms` subcommand groups, one module per area."""

from .db import db
from .roles import roles
from .server import server
from .users import users

GROUPS = [server, db]
GROUPS += [users, roles]
