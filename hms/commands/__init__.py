"""The `hms` subcommand groups, one module per area."""

from .backup import backup
from .db import db
from .server import server

GROUPS = [server, db]
GROUPS.append(backup)
