"""The `hms` subcommand groups, one module per area."""

from .backup import backup
from .console import console
from .db import db
from .query import query
from .roles import roles
from .seed import seed
from .server import server
from .users import users

GROUPS = [server, db, seed, query, users, roles, backup, console]
