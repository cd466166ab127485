"""Every difference between MySQL 8 and MariaDB that the tools care about, in one place.

Role syntax, dump tools, server initialisation, redo-log and binlog settings,
default collations and error codes differ; nothing outside this module asks which
server it is talking to.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from . import errcodes, passwords
from .errors import ConfigError

# The unprivileged system user a root-started embedded server runs as: Debian's and
# Ubuntu's mariadb-server and mysql-server packages both create `mysql`.
SERVER_SYSTEM_USER = "mysql"

# Where distributions put server binaries that are not on a normal user's PATH.
EXTRA_BIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/local/mysql/bin", "/opt/mysql/bin")


@dataclass(frozen=True)
class Dialect:
    """What differs between server families; use `for_version` or `for_server_binary`."""

    name: str
    default_collation: str
    client_names: tuple[str, ...]
    dump_names: tuple[str, ...]
    import_names: tuple[str, ...]
    check_violation_code: int
    local_infile_disabled_code: int

    @property
    def is_mariadb(self) -> bool:
        return self.name == "mariadb"

    # -- roles ---------------------------------------------------------------
    def set_default_role_sql(self) -> str:
        """SQL (with %s for role, user, host) that makes a role active at the user's login."""
        if self.is_mariadb:
            return "SET DEFAULT ROLE %s FOR %s@%s"
        return "SET DEFAULT ROLE %s TO %s@%s"

    def role_membership_sql(self) -> str:
        """SQL (with %s for user, host, role) counting whether user@host was granted `role`.

        MariaDB keeps role grants in mysql.roles_mapping, MySQL 8 in mysql.role_edges
        (and default roles in mysql.user.default_role vs mysql.default_roles, the lock
        in global_priv's JSON vs mysql.user.account_locked). The definer procedures in
        sql/console/routines/ make the same split on VERSION(), since SQL files cannot
        ask this module; they also say SET DEFAULT ROLE ... FOR (MariaDB) / TO (MySQL).
        """
        if self.is_mariadb:
            return "SELECT COUNT(*) FROM mysql.roles_mapping WHERE User = %s AND Host = %s AND Role = %s"
        return ("SELECT COUNT(*) FROM mysql.role_edges WHERE TO_USER = %s AND TO_HOST = %s "
                "AND FROM_USER = %s AND FROM_HOST = '%%'")


    # -- account passwords -----------------------------------------------------
    def identified(self, password: str) -> tuple[str, str]:
        """(clause with one %s, its argument) setting `password` in CREATE/ALTER USER from its hash.

        Only the hash reaches the server, so no log holds the password: MariaDB writes
        `IDENTIFIED BY '<password>'` into its binary log as typed (MySQL 8 rewrites it),
        and a general or slow log holds a statement's text on both. MariaDB stores
        mysql_native_password's hash; MySQL 8.4 has that plugin off by default, so it gets
        caching_sha2_password's salted hash, made here as the server would make it.
        """
        return self.identified_by_hash_clause(), self.password_hash(password)

    def identified_by_hash_clause(self) -> str:
        """The CREATE/ALTER USER clause (one %s: a `password_hash`) that sets a password from its hash."""
        if self.is_mariadb:
            return "IDENTIFIED BY PASSWORD %s"
        return "IDENTIFIED WITH caching_sha2_password AS %s"

    def password_hash(self, password: str) -> str:
        """The hash this family stores for `password` (what `identified_by_hash_clause` takes)."""
        if self.is_mariadb:
            return passwords.native_hash(password)
        return passwords.caching_sha2_hash(password)

    # -- binary log ------------------------------------------------------------
    def unlogged_session_privilege(self) -> str:
        """The least global privilege that lets a session SET sql_log_bin = 0.

        MariaDB 10.5.2+: BINLOG ADMIN (also PURGE BINARY LOGS and the global binlog
        settings: it has nothing narrower); MySQL 8: SESSION_VARIABLES_ADMIN.
        """
        return "BINLOG ADMIN" if self.is_mariadb else "SESSION_VARIABLES_ADMIN"

    def gtid_position_sql(self) -> str:
        """A one-value SELECT of the GTID position the binary log has reached (empty when it is off)."""
        if self.is_mariadb:
            return "SELECT @@GLOBAL.gtid_binlog_pos"
        return "SELECT @@GLOBAL.gtid_executed"

    def replica_hosts_sql(self) -> str:
        """The statement listing the replicas attached to this server (one row each)."""
        return "SHOW SLAVE HOSTS" if self.is_mariadb else "SHOW REPLICAS"

    # -- embedded server -----------------------------------------------------
    def server_options(self, memory_bytes: int, bulk: bool) -> dict[str, str]:
        """my.cnf [mysqld] options that differ by family (redo log, binlog)."""
        redo = (1 << 30) if bulk else (48 << 20)
        if self.is_mariadb:
            return {"innodb_log_file_size": str(redo)}
        return {"innodb_redo_log_capacity": str(redo * 2), "mysqlx": "OFF"}

    def binlog_options(self, basename: Path, server_id: int, retention_seconds: int) -> dict[str, str]:
        """my.cnf options for a row-based, GTID binary log kept `retention_seconds`.

        MariaDB always writes GTIDs (strict mode makes a gap an error instead of a
        silent skip); MySQL needs gtid_mode on. Replicas log what they apply, so any
        of them can be promoted. log_bin_trust_function_creators: with the binary log
        on, creating a trigger or routine otherwise needs SUPER, which the restricted
        restore account never has; with ROW events the unsafe-statement concern it
        guards against does not arise.
        """
        common = {"server_id": str(server_id), "log_bin": str(basename),
                  "log_bin_index": f"{basename}.index", "binlog_format": "ROW",
                  "binlog_expire_logs_seconds": str(retention_seconds),
                  "log_bin_trust_function_creators": "ON"}
        if self.is_mariadb:
            return {**common, "log_slave_updates": "ON", "gtid_strict_mode": "ON",
                    "binlog_row_image": "FULL"}
        return {**common, "log_replica_updates": "ON", "gtid_mode": "ON",
                "enforce_gtid_consistency": "ON"}

    def initialise_command(self, server_bin: Path, defaults_file: Path, user: str) -> list[str]:
        """The command that creates a new data directory for this family, owned by `user`."""
        if self.is_mariadb:
            install_db = _which("mariadb-install-db", "mysql_install_db")
            if install_db is None:
                return [str(server_bin), f"--defaults-file={defaults_file}", "--bootstrap", f"--user={user}"]
            return [install_db, f"--defaults-file={defaults_file}", f"--user={user}",
                    "--auth-root-authentication-method=normal", "--skip-test-db"]
        return [str(server_bin), f"--defaults-file={defaults_file}", "--initialize-insecure", f"--user={user}"]

    # -- protected health information (hms/server/protection.py) --------------
    def tls_options(self, ca: Path, cert: Path, key: Path, require: bool) -> dict[str, str]:
        """hms.cnf options serving TLS 1.2+ with these files; `require`: no TCP login without it."""
        options = {"ssl_ca": str(ca), "ssl_cert": str(cert), "ssl_key": str(key),
                   "tls_version": "TLSv1.2,TLSv1.3"}
        if require:
            options["require_secure_transport"] = "ON"
        return options

    def access_audit_options(self, path: Path, rotate_bytes: int, rotations: int) -> dict[str, str]:
        """hms.cnf options recording every login and every table read or written, per account.

        MariaDB's server_audit plugin, CONNECT and TABLE events only: no statement text is
        ever written (so neither a password nor a patient's name in a WHERE clause), yet each
        table event names the account, the table and the statement (query id). MySQL
        Community has no audit plugin: nothing is added (`hms audit access` says so).
        """
        if not self.is_mariadb:
            return {}
        return {"plugin_load_add": "server_audit", "server_audit_logging": "ON",
                "server_audit_events": "CONNECT,TABLE", "server_audit_output_type": "file",
                "server_audit_file_path": str(path), "server_audit_file_rotate_size": str(rotate_bytes),
                "server_audit_file_rotations": str(rotations)}

    def password_check_options(self, min_length: int) -> dict[str, str]:
        """hms.cnf options checking every password set in plain text against hms's policy.

        MariaDB's simple_password_check (length, a digit, both cases, a symbol) sees only
        passwords given as text (CREATE USER ... IDENTIFIED BY 'text', SET PASSWORD =
        PASSWORD('text')). hms sends only hashes, which no plugin can check, so
        strict_password_validation is OFF (else the server refuses every hash) and hms
        checks its policy client-side before hashing (hms/passwords.py). MySQL 8: the
        validate_password component (INSTALL COMPONENT), not set up here.
        """
        if not self.is_mariadb:
            return {}
        return {"plugin_load_add": "simple_password_check",
                "simple_password_check_minimal_length": str(min_length),
                "simple_password_check_digits": "1", "simple_password_check_letters_same_case": "1",
                "simple_password_check_other_characters": "1", "strict_password_validation": "OFF"}

    def encryption_options(self, key_file: Path, default_key_id: int, filekey: Path | None = None) -> dict[str, str]:
        """hms.cnf options encrypting everything the server writes, with keys from `key_file`.

        MariaDB's file_key_management plugin: InnoDB tables (new ones under
        `default_key_id`), the redo log, the system tablespace with its undo logs (by the
        background encryption threads), temporary tables and files, the binary log, Aria
        tables. MySQL 8 has its own keyring component and default_table_encryption, not
        set up here: ConfigError names it.
        """
        if not self.is_mariadb:
            raise ConfigError("encryption at rest for the embedded server needs MariaDB",
                              "On MySQL 8 use the keyring_file component with default_table_encryption=ON, "
                              "binlog_encryption=ON and innodb_redo_log_encrypt=ON")
        return {"plugin_load_add": "file_key_management", "file_key_management_filename": str(key_file),
                "file_key_management_encryption_algorithm": "AES_CTR",
                "innodb_encrypt_tables": "ON", "innodb_encrypt_log": "ON",
                "innodb_encrypt_temporary_tables": "ON", "innodb_encryption_threads": "2",
                "innodb_default_encryption_key_id": str(default_key_id),
                "encrypt_tmp_disk_tables": "ON", "encrypt_tmp_files": "ON", "encrypt_binlog": "ON",
                "aria_encrypt_tables": "ON",
                # The key file's passphrase, read from this file while the server starts (hms/encryption.py).
                **({"file_key_management_filekey": f"FILE:{filekey}"} if filekey else {})}

    # -- client tools --------------------------------------------------------
    def client_binary(self) -> str | None:
        """The command-line client matching this family, if installed."""
        return _which(*self.client_names)

    def dump_binary(self) -> str | None:
        """mysqldump or mariadb-dump, whichever matches the server, if installed."""
        return _which(*self.dump_names)


MARIADB = Dialect(
    name="mariadb",
    # The collation a table declared `DEFAULT CHARSET=utf8mb4` gets on MariaDB 10.11: the
    # database must default to the same, or a routine's variables (which take the
    # database's collation) cannot be compared with the columns (error 1267).
    default_collation="utf8mb4_general_ci",
    client_names=("mariadb", "mysql"),
    dump_names=("mariadb-dump", "mysqldump"),
    import_names=("mariadb-import", "mysqlimport"),
    check_violation_code=errcodes.MARIADB_CHECK_CONSTRAINT,
    local_infile_disabled_code=errcodes.MARIADB_LOCAL_INFILE_DISABLED,
)

MYSQL = Dialect(
    name="mysql",
    default_collation="utf8mb4_0900_ai_ci",
    client_names=("mysql",),
    dump_names=("mysqldump",),
    import_names=("mysqlimport",),
    check_violation_code=errcodes.CHECK_CONSTRAINT_VIOLATED,
    local_infile_disabled_code=errcodes.LOCAL_INFILE_DISABLED,
)


def for_version(version: str) -> Dialect:
    """Return the dialect of a server from its `SELECT VERSION()` string."""
    return MARIADB if "mariadb" in version.lower() else MYSQL


def for_connection(conn) -> Dialect:
    """Return the dialect of the server behind an open PyMySQL connection."""
    return for_version(conn.get_server_info())


def find_server_binary() -> tuple[Path, Dialect] | None:
    """Return the first mariadbd or mysqld found on PATH (or sbin dirs) and its family."""
    for name, dialect in (("mariadbd", MARIADB), ("mysqld", None)):
        path = _which(name)
        if path is None:
            continue
        if dialect is None:
            dialect = MARIADB if Path(path).resolve().name.startswith("mariadb") else MYSQL
        return Path(path), dialect
    return None


INSTALL_HINT = ("Install a server: `sudo apt-get install mariadb-server` (Debian/Ubuntu), "
                "or MySQL 8.4 (`mysql-server`), or set HMS_DATABASE_URL to an existing server")


def _which(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
        for directory in EXTRA_BIN_DIRS:
            candidate = Path(directory) / name
            if candidate.is_file():
                return str(candidate)
    return None


# -- backups -----------------------------------------------------------------
# Appended for `hms backup`: what the dump tool needs per family.

def dump_options(dialect: Dialect) -> list[str]:
    """Options for mysqldump / mariadb-dump that give a consistent, restorable dump.

    Neither tool can leave DEFINER clauses out (mysqlpump's --skip-definer went with
    mysqlpump), so hms.backup strips them from the stream instead.
    """
    options = ["--single-transaction", "--routines", "--events", "--triggers", "--hex-blob",
               "--no-tablespaces", "--default-character-set=utf8mb4", "--quick"]
    if not dialect.is_mariadb:
        # Without it MySQL writes SET @@GLOBAL.GTID_PURGED, which fails on a server that
        # already has GTIDs and needs privileges a restore should not need.
        options.append("--set-gtid-purged=OFF")
    return options


def backup_privileges(dialect: Dialect) -> list[str]:
    """GRANT statements (with {database} and {account}) an account needs for `hms backup create`."""
    grants = ["GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON `{database}`.* TO {account}",
              # FLUSH TABLES WITH READ LOCK, held for milliseconds, so the row counts and
              # checksums are read in the same snapshot as the dump.
              "GRANT RELOAD ON *.* TO {account}"]
    if dialect.is_mariadb:
        grants.append("GRANT SELECT ON mysql.proc TO {account}")  # SHOW CREATE of routines
    else:
        grants.append("GRANT SHOW_ROUTINE ON *.* TO {account}")
    return grants


# -- binary log and point-in-time recovery -------------------------------------
# Appended for issue 12: where a backup's snapshot stands in the binary log, and
# replaying the binary log.

def binlog_coordinates(dialect: Dialect, cur) -> tuple[str, int, str] | None:
    """Return (file, position, GTID state) of the binary log at `cur`'s consistent snapshot, or None.

    Call inside START TRANSACTION WITH CONSISTENT SNAPSHOT (and, for MySQL, under
    FLUSH TABLES WITH READ LOCK). MariaDB gives the snapshot's own position in
    Binlog_snapshot_file/_position, which need no privilege; the GTID state is
    @@gtid_binlog_pos. MySQL needs REPLICATION CLIENT for SHOW BINARY LOG STATUS (8.2+;
    SHOW MASTER STATUS before) and gives @@gtid_executed. None when the binary log is
    off or, on MySQL, the account may not read its status.
    """
    import pymysql

    if dialect.is_mariadb:
        cur.execute("SHOW SESSION STATUS LIKE 'binlog\\_snapshot\\_%'")
        status = {name.lower(): value for name, value in cur.fetchall()}
        cur.execute("SELECT @@GLOBAL.log_bin, @@GLOBAL.gtid_binlog_pos")
        log_bin, gtid = cur.fetchone()
        file, position = status.get("binlog_snapshot_file"), status.get("binlog_snapshot_position")
        if not int(log_bin or 0) or not file:
            return None
        return file, int(position), gtid or ""
    for statement in ("SHOW BINARY LOG STATUS", "SHOW MASTER STATUS"):
        try:
            cur.execute(statement)
        except pymysql.err.MySQLError as exc:
            if exc.args and exc.args[0] in (errcodes.SPECIFIC_ACCESS_DENIED, errcodes.ACCESS_DENIED):
                return None
            continue  # the other spelling of this version
        row = cur.fetchone()
        if not row:
            return None  # binary log off
        cur.execute("SELECT @@GLOBAL.gtid_executed")
        return row[0], int(row[1]), (cur.fetchone()[0] or "").replace("\n", "")
    return None


def binlog_binary(dialect: Dialect) -> str | None:
    """mariadb-binlog or mysqlbinlog, whichever reads this family's binary log, if installed."""
    return _which("mariadb-binlog", "mysqlbinlog") if dialect.is_mariadb else _which("mysqlbinlog")


def binlog_replay_privilege(dialect: Dialect) -> str | None:
    """The global privilege that lets an account run mariadb-binlog's BINLOG statements, or None.

    MariaDB 10.5.2+: BINLOG REPLAY (BINLOG statements and the session variables they set:
    gtid_domain_id, gtid_seq_no, server_id, pseudo_thread_id). MySQL has no narrow
    equivalent (BINLOG_ADMIN plus SYSTEM_VARIABLES_ADMIN, or SUPER): hms does not roll
    forward on MySQL.
    """
    return "BINLOG REPLAY" if dialect.is_mariadb else None


ROLLFORWARD_ON_MYSQL = ("point-in-time recovery with hms needs MariaDB (its GTIDs, mariadb-binlog and the BINLOG "
                        "REPLAY privilege)", "On MySQL, restore the backup, then replay `mysqlbinlog "
                        "--start-position=<the manifest's binlog position> <files> | mysql` by hand")


# -- physical backups ----------------------------------------------------------
# Appended for `hms backup create --physical`: which tool copies a running server's files.

PHYSICAL_BACKUP_TOOLS = ("mariadb-backup", "mariabackup")


def physical_backup_binary(dialect: Dialect) -> str | None:
    """mariadb-backup when the server is MariaDB and the tool is installed; None otherwise.

    mariadb-backup reads only MariaDB's data files (its redo log format differs from
    MySQL 8's), so a MySQL server has no physical backup tool here.
    """
    if not dialect.is_mariadb:
        return None
    return _which(*PHYSICAL_BACKUP_TOOLS)


def physical_backup_missing(dialect: Dialect, version: str) -> tuple[str, str]:
    """(what failed, how to fix it) when `physical_backup_binary` found nothing."""
    if not dialect.is_mariadb:
        return (f"physical backups are made with mariadb-backup, which reads MariaDB's files only, and this "
                f"server is MySQL {version}",
                "Use a logical backup (`hms backup create`), or Percona XtraBackup, the physical backup "
                "tool for MySQL")
    return ("physical backups need mariadb-backup, which is not installed (not on PATH)",
            "Install it (`apt-get install mariadb-backup`, or `scripts/system-packages.sh backup`), "
            "or use a logical backup (`hms backup create`)")


def physical_backup_privileges(dialect: Dialect) -> str:
    """The global privileges mariadb-backup needs (MariaDB 10.5+ names), and nothing more.

    RELOAD: BACKUP STAGE and FLUSH; PROCESS: the InnoDB log position; LOCK TABLES:
    the non-InnoDB tables' copy; BINLOG MONITOR: the binary log coordinates.
    """
    if not dialect.is_mariadb:
        raise ValueError("physical backups are MariaDB-only; see physical_backup_missing()")
    return "RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR"


# -- replication ---------------------------------------------------------------
# Appended for `hms replica`: built on MariaDB's GTID replication and mariadb-backup.

def replication_unsupported(dialect: Dialect) -> str | None:
    """Why `hms replica` cannot manage replicas of this family, with the alternative; None when it can."""
    if dialect.is_mariadb:
        return None
    return ("`hms replica` manages MariaDB replicas only (MASTER_GTID_WAIT, gtid_slave_pos and mariadb-backup "
            "have no MySQL 8 equivalent it drives). On MySQL 8.4 use MySQL Shell's InnoDB ReplicaSet "
            "(`dba.createReplicaSet()`, provisioning by CLONE), or CHANGE REPLICATION SOURCE TO ... "
            "SOURCE_AUTO_POSITION = 1")


# -- Galera ------------------------------------------------------------------
# Appended for `hms cluster`: Galera (wsrep) is MariaDB's; MySQL's answer is another product.

CLUSTER_ON_MYSQL_HINT = ("Galera needs MariaDB; on MySQL use `hms replica` for asynchronous replication, "
                         "or MySQL's own InnoDB Cluster (Group Replication)")


def wsrep_on(conn) -> bool:
    """True when the server behind `conn` is a Galera node with replication on (MariaDB's wsrep).

    MySQL has no wsrep variables; a MariaDB server without a provider says wsrep_provider 'none'.
    """
    with conn.cursor() as cur:
        cur.execute("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_provider')")
        values = {name.lower(): str(value) for name, value in cur.fetchall()}
    return values.get("wsrep_on", "OFF").upper() == "ON" and values.get("wsrep_provider", "none") != "none"
