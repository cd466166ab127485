"""Applying sql/ to a database and checking the live database against it.

- files.py / statements.py: the files under sql/ and how their text splits into statements;
- history.py: the history table and each file's state against it;
- runner.py: the Migrator, which applies what is pending under an advisory lock;
- snapshot.py / drift.py: a comparable picture of a schema, and `hms db verify`.
"""

from .drift import verify_database
from .files import SQL_ROOT, SqlFile, discover
from .history import FileState, HistoryRow
from .runner import MigrationResult, Migrator, Step
from .statements import Statement, split_statements

__all__ = ["SQL_ROOT", "FileState", "HistoryRow", "MigrationResult", "Migrator", "SqlFile", "Statement", "Step",
           "discover", "split_statements", "verify_database"]
