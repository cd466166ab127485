"""The embedded server's protections for health data, as hms.cnf options.

What a home was started with is remembered in $HMS_HOME/protection.json, so every later
`hms server start` keeps it: the bind address (beyond loopback only with TLS required for
every TCP login) and whether the access audit (MariaDB's server_audit plugin, into
$HMS_HOME/audit/) is on (by default it is), whether the server checks plain-text passwords
(simple_password_check, off by default), and whether it encrypts everything it writes
(chosen when the home is made; hms/encryption.py). TLS itself is always served on TCP (hms/tls.py
makes the certificates).
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from .. import dialect as dialects
from .. import encryption, passwords, tls
from ..errors import ConfigError, ServerError
from ..identifiers import quote_identifier

CHOICES_FILE = "protection.json"
# The access audit (server_audit): who logged in, and which tables each account read or wrote.
AUDIT_DIR = "audit"
AUDIT_FILE = "server_audit.log"
AUDIT_ROTATE_BYTES = 100 << 20
AUDIT_ROTATIONS = 9
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Choices:
    """What this home's server is started with."""

    bind: str = LOOPBACK
    access_audit: bool = True
    password_check: bool = False
    encrypt: bool = False
    encryption_key_id: int = 1

    @property
    def beyond_loopback(self) -> bool:
        return not ipaddress.ip_address(self.bind).is_loopback


def load(home: Path) -> Choices:
    path = Path(home) / CHOICES_FILE
    if not path.is_file():
        return Choices()
    data = json.loads(path.read_text())
    known = {k: v for k, v in data.items() if k in Choices.__dataclass_fields__}
    return Choices(**known)


def save(home: Path, choices: Choices) -> None:
    (Path(home) / CHOICES_FILE).write_text(json.dumps(asdict(choices), indent=2) + "\n")


def check_bind(address: str) -> str:
    """The address `--bind` names, checked: an IPv4 or IPv6 address."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        raise ConfigError(f"--bind {address!r} is not an IP address",
                          "Give the address to listen on, e.g. --bind 0.0.0.0 (every interface) "
                          "or --bind 10.0.0.5") from None


def choose(home: Path, *, bind: str | None = None, access_audit: bool | None = None,
           password_check: bool | None = None, encrypt: bool = False, fresh: bool = False) -> Choices:
    """This start's choices: the remembered ones, changed by what was asked; saved.

    `encrypt` only on a fresh home: an existing unencrypted one is refused (docs/security.md
    says how to move its data into an encrypted home)."""
    choices = load(home)
    if encrypt and not choices.encrypt:
        if not fresh:
            raise ConfigError(f"the home {home} was created without encryption at rest",
                              "Encryption is chosen when a home is made: back up (`hms backup create`), start "
                              "a new HMS_HOME with `hms server start --encrypt`, migrate and restore into it "
                              "(docs/security.md, 'Moving to an encrypted home')")
        choices = replace(choices, encrypt=True)
    if bind is not None:
        choices = replace(choices, bind=check_bind(bind))
    if access_audit is not None:
        choices = replace(choices, access_audit=access_audit)
    if password_check is not None:
        choices = replace(choices, password_check=password_check)

    save(home, choices)
    return choices


def refuse_change_while_running(home: Path, *, bind: str | None = None, encrypt: bool = False,
                                access_audit: bool | None = None, password_check: bool | None = None) -> None:
    """A running server keeps its choices: say so when a different one is asked for."""
    current = load(home)
    for option, asked, held in (("--access-audit", access_audit, current.access_audit),
                                ("--password-check", password_check, current.password_check)):
        if asked is not None and asked != held:
            raise ServerError(f"the embedded server already runs with {option} {'on' if held else 'off'}",
                              f"Stop it with `hms server stop` first to change {option}")
    if encrypt and not current.encrypt:
        raise ConfigError(f"the home {home} was created without encryption at rest",
                          "Encryption is chosen when a home is made: see docs/security.md, "
                          "'Moving to an encrypted home'")
    if bind is not None and check_bind(bind) != current.bind:
        raise ServerError(f"the embedded server already runs bound to {current.bind}",
                          "Stop it with `hms server stop` first to change --bind")


def server_options(server, dialect: dialects.Dialect, server_uid: int, choices: Choices) -> dict[str, str]:
    """The hms.cnf options for these choices (certificates made or renewed as needed)."""
    files = tls.ensure(server.home, choices.bind, server_uid)
    options = {"bind-address": choices.bind}
    options.update(dialect.tls_options(files.ca_cert, files.server_cert, files.server_key,
                                       require=choices.beyond_loopback))
    if choices.access_audit:
        _merge(options, dialect.access_audit_options(_audit_dir(server.home, server_uid) / AUDIT_FILE,
                                                     AUDIT_ROTATE_BYTES, AUDIT_ROTATIONS))
    if choices.password_check:
        _merge(options, dialect.password_check_options(passwords.MIN_LENGTH))
    if choices.encrypt:
        key_file, filekey = encryption.ensure_server_keys(server.home, server_uid, encryption.passphrase_from_env())
        _merge(options, dialect.encryption_options(key_file, choices.encryption_key_id, filekey))
    return options


def _merge(options: dict[str, str], more: dict[str, str]) -> None:
    """Add `more`; plugin_load_add lists are joined (one option line loads several plugins)."""
    for key, value in more.items():
        if key == "plugin_load_add" and key in options:
            options[key] = f"{options[key]};{value}"
        else:
            options[key] = value


def _audit_dir(home: Path, server_uid: int) -> Path:
    """$HMS_HOME/audit: written by the server account only, read by it and the hms user (root)."""
    directory = Path(home) / AUDIT_DIR
    directory.mkdir(mode=0o700, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(directory, server_uid, -1)
    os.chmod(directory, 0o700)
    return directory


SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")


def rotate_key(server) -> tuple[int, int]:
    """A new server key: restart with it as the default, re-encrypt every InnoDB table under it.

    Returns (the new key id, how many tables were re-encrypted). The plugin reads its key
    file only at start-up, hence the restart; older keys stay (hms/encryption.py says why).
    """
    from ..connection import session

    choices = load(server.home)
    if not choices.encrypt:
        raise ConfigError(f"the home {server.home} does not encrypt at rest, so it has no key to rotate",
                          "Encryption is chosen when a home is made: `hms server start --encrypt` on a new HMS_HOME")
    new_id = encryption.add_server_key(server.home)
    save(server.home, replace(choices, encryption_key_id=new_id))
    server.stop()
    server.start()
    with session(server.connection_info(), database=None) as conn, conn.cursor() as cur:
        cur.execute("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
                    "WHERE ENGINE = 'InnoDB' AND TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN %s",
                    (SYSTEM_SCHEMAS,))
        tables = cur.fetchall()
        for schema, table in tables:
            cur.execute(f"ALTER TABLE {quote_identifier(schema)}.{quote_identifier(table)} "
                        f"ENCRYPTION_KEY_ID = {int(new_id)}")
    return new_id, len(tables)


def server_environment(home: Path) -> dict[str, str]:
    """The server process's environment: this one's, and for an encrypted home glibc's malloc perturb.

    MariaDB encrypts only the used part of an Aria index page and writes the rest of the
    page from a fresh, unzeroed heap buffer (ma_crypt_index_pre_write_hook zeroes it only
    in valgrind builds), so freed server memory (a statement's text, rows) could reach the
    disk in plain text inside an encrypted mysql.* table. MALLOC_PERTURB_ makes glibc
    overwrite memory when it is freed and when it is handed out again, so it cannot.
    """
    env = dict(os.environ)
    if load(home).encrypt:
        env["MALLOC_PERTURB_"] = "165"
    return env
