"""The `hms` subcommand groups, one module per area."""

from .console import console
from .db import db
from .query import query
from .roles import roles
from .seed import seed
from .server import server
from .users import users

GROUPS = [server, db, seed]
GROUPS += [users, roles, console]
GROUPS += [query]
