"""The core `hms` command groups, one module per area: glue that parses options and prints.

The seeder's group lives in seed/cli.py and the console's in console/cli.py; cli.py at
the root assembles all of them.
"""

from .audit import audit
from .backup import backup
from .db import db
from .query import query
from .roles import roles
from .server import server
from .users import users

__all__ = ["audit", "backup", "db", "query", "roles", "server", "users"]
