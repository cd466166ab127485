"""The project's typed errors. Library code raises these; only the CLI and the
console turn them into words for people."""


class HmsError(Exception):
    """An error a user can act on: what failed, and how to fix it."""

    def __init__(self, what: str, fix: str = ""):
        self.what = what.rstrip(".")
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line: '<what failed>. <how to fix it>'."""
        text = f"{self.what}."
        if self.fix:
            text += f" {self.fix.rstrip('.')}."
        return " ".join(text.split())


class ConfigError(HmsError):
    """A setting (URL, database name, path) is missing or malformed."""


class ConnectionFailed(HmsError):
    """The server could not be reached or refused the login."""


class ServerError(HmsError):
    """The embedded server could not be created, started or stopped."""


class SqlFileError(HmsError):
    """A file under sql/ is malformed (bad name, unterminated DELIMITER block, ...)."""


class MigrationError(HmsError):
    """A migration could not run, or a file failed on the server."""


class DatabaseError(HmsError):
    """The server refused a statement; the server's message is kept in `what`."""


class QueryError(HmsError):
    """A named query is unknown, malformed, or the database is not ready for it."""
