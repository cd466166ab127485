"""The `hms` subcommand groups, one module per area."""

from .db import db
from .query import query
from .seed import seed
from .server import server

GROUPS = [server, db, seed, query]
