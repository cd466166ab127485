"""Settings from the environment, with every default in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .identifiers import check_database_name

DEFAULT_DATABASE = "hms"
DEFAULT_HOME = ".hms"
DEFAULT_BACKUP_DIR = "backups"


@dataclass(frozen=True)
class Settings:
    """Where the tools find the server, the database, the embedded home and backups."""

    url: str | None = None
    database: str = DEFAULT_DATABASE
    home: Path = field(default_factory=lambda: Path(DEFAULT_HOME))
    backup_dir: Path = field(default_factory=lambda: Path(DEFAULT_BACKUP_DIR))
    secret_key: str | None = None
    quiet: bool = False

    @classmethod
    def from_env(cls, url: str | None = None, database: str | None = None,
                 quiet: bool = False, env: dict[str, str] | None = None) -> "Settings":
        """Return settings from explicit options, then the environment, then defaults."""
        env = os.environ if env is None else env
        url = url or env.get("HMS_DATABASE_URL") or None
        if database is None:
            database = env.get("HMS_DATABASE") or None
        if database is None and url:
            database = _database_from_url(url)
        database = check_database_name(database or DEFAULT_DATABASE)
        return cls(
            url=url,
            database=database,
            home=home_from_env(env),
            backup_dir=Path(env.get("HMS_BACKUP_DIR") or DEFAULT_BACKUP_DIR).expanduser().absolute(),
            secret_key=env.get("HMS_SECRET_KEY") or None,
            quiet=quiet,
        )

    @property
    def embedded(self) -> bool:
        """True when no URL is configured and the embedded server in `home` is used."""
        return self.url is None


def home_from_env(env: dict[str, str] | None = None) -> Path:
    """Return HMS_HOME (default ./.hms) as an absolute path."""
    env = os.environ if env is None else env
    return Path(env.get("HMS_HOME") or DEFAULT_HOME).expanduser().absolute()


def _database_from_url(url: str) -> str | None:
    """The URL's database name; a malformed URL (bad port, unclosed [) is a ConfigError here."""
    from .connection import info_from_url

    return info_from_url(url).database
