"""`hms backup`: create, list, verify and restore backups of the database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from hms.backup import create_backup, list_backups, restore_backup, verify_backup
from hms.backup.manifest import is_physical_path
from hms.backup.signing import KEY_NAME
from hms.config import Settings, check_database_name
from hms.errors import ConfigError
from hms.login import admin_login

from .options import echo_json, json_option, progress_bar


def _key_file(settings: Settings):
    """$HMS_HOME/backup.key, the key that signs manifests, also when --url names another server."""
    return settings.home / KEY_NAME


TRUST_UNSIGNED = click.option(
    "--trust-unsigned", is_flag=True,
    help="Accept a backup whose manifest is not signed by this installation's key (one made elsewhere). "
         "Check where it came from first: it still runs only as the restricted restore account.")


@click.group()
def backup() -> None:
    """Back up the database to HMS_BACKUP_DIR and restore it, with proof.

    \b
    Example:
        hms backup create && hms backup list
    """


@backup.command("create")
@click.option("--json", "as_json", is_flag=True, help="Print the new backup's manifest as JSON.")
@click.option("--physical", is_flag=True,
              help="Copy the whole server's files with mariadb-backup (MariaDB, on the server's machine) into "
                   "<database>_<UTC time>.physical/ instead of dumping SQL.")
@click.option("--incremental", is_flag=True,
              help="With --physical: copy only what changed since the newest physical backup of this server.")
@click.pass_obj
def create(settings: Settings, as_json: bool, physical: bool, incremental: bool) -> None:
    """Dump the database to <database>_<UTC time>.sql.gz; print its path.

    One consistent snapshot (--single-transaction) with routines, triggers and
    events, no DEFINER clauses, gzip-compressed, with a manifest beside it (sha256,
    size, row counts and checksums per table). A dump that fails leaves nothing.

    \b
    The account needs, beyond a login:
        GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON `hms`.* TO ...
        GRANT RELOAD ON *.* TO ...   (a read lock held for milliseconds)
        MariaDB: GRANT SELECT ON mysql.proc TO ...   MySQL: GRANT SHOW_ROUTINE ON *.* TO ...

    With --physical, mariadb-backup copies the server's data directory (run hms as root
    or the server's account) and logs in as hms_physical_backup, an account hms makes
    holding only RELOAD, PROCESS, LOCK TABLES and BINLOG MONITOR; the login given to hms
    must be able to create it (the administrative one). --incremental builds a chain:
    full, then each incremental on top of the previous physical backup.

    \b
    Example:
        hms backup create
        HMS_BACKUP_DIR=/srv/backups hms --database hms backup create --json
        hms backup create --physical && hms backup create --physical --incremental
    """
    if incremental and not physical:
        raise click.UsageError("--incremental needs --physical")
    if physical:
        from hms.backup.physical import create_physical_backup

        made = create_physical_backup(admin_login(settings), settings.backup_dir, incremental=incremental,
                                      key_file=_key_file(settings))
    else:
        with progress_bar(settings, f"dumping {settings.database}") as progress:
            made = create_backup(admin_login(settings), settings.backup_dir, progress=progress,
                                 key_file=_key_file(settings))
    if as_json:
        echo_json(made.as_dict())
    else:
        click.echo(str(made.path))


@backup.command("list")
@json_option
@click.pass_obj
def list_(settings: Settings, as_json: bool) -> None:
    """List the backups in HMS_BACKUP_DIR, newest first, checking each checksum.

    \b
    Example:
        hms backup list --json
    """
    found = list_backups(settings.backup_dir, key_file=_key_file(settings))
    if as_json:
        echo_json([b.as_dict() for b in found])
        return
    if not found:
        click.echo(f"no backups in {settings.backup_dir}")
        return
    width = max(len(b.name) for b in found)
    for b in found:
        m = b.manifest
        when = datetime.fromisoformat(m.created_at).strftime("%Y-%m-%d %H:%M:%S UTC")
        state = ("ok" if b.signed else "UNSIGNED") if b.intact else "CHECKSUM MISMATCH"
        rows = sum(m.tables.values())
        click.echo(f"{b.name:<{width}}  {_kind(b):<20}  {_size(m.bytes):>9}  {when}  {rows:>11,} rows  {state}"
                   + (f"  on {m.chain['parent']}" if b.physical and m.chain.get("parent") else ""))


@backup.command("verify")
@click.argument("path", type=click.Path(path_type=str))
@click.option("--no-source", is_flag=True,
              help="Compare with the manifest only, not with the live database it came from.")
@TRUST_UNSIGNED
@click.pass_obj
def verify(settings: Settings, path: str, no_source: bool, trust_unsigned: bool) -> None:
    """Prove a backup restores: checksum, restore into a scratch database, compare.

    The restored copy is compared with the manifest (rows and content checksum per
    table, routines, triggers, views) and, unless --no-source, with the live source
    database. The scratch database is always dropped. Exit 1 naming every difference.

    \b
    A physical backup (and the chain it needs) is copied, every file checked against its
    manifest, prepared and started as a scratch server (a free port, the unprivileged
    server account), which is stopped and removed afterwards.

    \b
    Example:
        hms backup verify backups/hms_20250101T020000.000Z.sql.gz
        hms backup verify --no-source backups/hms_20250101T030000.000Z.physical
    """
    if _physical(path):
        from hms.backup.physical_restore import verify_physical

        with progress_bar(settings, "checking and preparing a copy") as progress:
            result = verify_physical(None if no_source else admin_login(settings), path, progress=progress,
                                     key_file=_key_file(settings), trust_unsigned=trust_unsigned)
    else:
        with progress_bar(settings, "restoring into scratch") as progress:
            result = verify_backup(admin_login(settings), path, compare_source=not no_source,
                                   progress=progress, key_file=_key_file(settings), trust_unsigned=trust_unsigned)
    for name in result.definer_objects:
        click.echo(f"note: {name} runs with its definer's rights and is not defined by sql/ "
                   "(restore refuses it without --allow-definer-objects)", err=True)
    if result.problems:
        for line in result.problems:
            click.echo(line)
        raise click.ClickException(f"{result.backup.name} differs in {len(result.problems)} place(s)"
                                   + (" (differences with the live database may be changes made since "
                                      "the backup; add --no-source to check the backup alone)"
                                      if result.source_compared else ""))
    against = "its manifest and the live database" if result.source_compared else "its manifest"
    tables = len(result.backup.manifest.tables)
    click.echo(f"{result.backup.name}: restores to data identical to {against} ({tables} tables)")


@backup.command("restore")
@click.argument("path", type=click.Path(path_type=str))
@click.option("--into", "into", metavar="NAME", help="The database to create and restore into.")
@click.option("--home", "home", metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="A physical backup only: make DIR (new or empty) a whole server home holding it.")
@click.option("--replace", is_flag=True,
              help="Overwrite NAME if it exists and is not empty (a safety backup is taken first).")
@TRUST_UNSIGNED
@click.option("--allow-definer-objects", is_flag=True,
              help="Keep routines, views, triggers and events that run with definer rights although sql/ "
                   "does not define them (they run with NAME's privileges only).")
@click.pass_obj
def restore(settings: Settings, path: str, into: str | None, home: Path | None, replace: bool, trust_unsigned: bool,
            allow_definer_objects: bool) -> None:
    """Restore a backup made by hms into a new database NAME, or a physical one into a new server home.

    Only backups whose manifest is signed by this installation's key ($HMS_HOME/backup.key)
    and whose checksum matches are restored. The dump runs as NAME's restore account,
    which holds privileges on NAME only; events come back disabled. A restore that
    fails drops what it made and says which statement failed.

    Roles are server-wide but grant on the database they were migrated into: run
    `hms --database NAME db migrate --reapply` to extend them to NAME.

    A physical backup (and the chain it needs) is checked file by file, prepared and
    started as a scratch server; --into copies its database from there as above. --home
    DIR makes DIR a new server home instead (disaster recovery), with a new administrative
    password in DIR/client.cnf; `HMS_HOME=DIR hms server start` runs it (see docs/backups.md).

    \b
    Example:
        hms backup restore backups/hms_20250101T020000.000Z.sql.gz --into hms_copy
        hms backup restore backups/hms_20250101T030000.000Z.physical --home /var/lib/hms-new
    """
    if (into is None) == (home is None):
        raise click.UsageError("give exactly one of --into NAME and --home DIR")
    if home is not None:
        if replace or allow_definer_objects:
            raise click.UsageError("--replace and --allow-definer-objects go with --into, not --home")
        _restore_home(settings, path, home, trust_unsigned)
        return
    try:
        check_database_name(into)
    except ConfigError as exc:
        raise click.BadParameter(exc.message, param_hint="--into") from None

    if _physical(path):
        from hms.backup.physical_restore import restore_physical_into

        with progress_bar(settings, "checking and preparing a copy") as progress:
            result = restore_physical_into(admin_login(settings), path, into, replace=replace,
                                           backup_dir=settings.backup_dir, progress=progress,
                                           key_file=_key_file(settings), trust_unsigned=trust_unsigned,
                                           allow_definer_objects=allow_definer_objects)
    else:
        total = Path(path).stat().st_size if Path(path).is_file() else None
        with progress_bar(settings, f"restoring into {into}", total) as progress:
            result = restore_backup(admin_login(settings), path, into, replace=replace,
                                    backup_dir=settings.backup_dir, progress=progress, key_file=_key_file(settings),
                                    trust_unsigned=trust_unsigned, allow_definer_objects=allow_definer_objects)
    if result.safety_backup is not None:
        click.echo(f"safety backup of the previous '{into}': {result.safety_backup.path}")
    rows = sum(result.backup.manifest.tables.values())
    click.echo(f"restored {result.backup.name} into '{into}' ({len(result.backup.manifest.tables)} tables, "
               f"{rows:,} rows)")


def _restore_home(settings: Settings, path: str, home: Path, trust_unsigned: bool) -> None:
    """`restore --home`: a physical backup into a new server home; no running server is needed."""
    from hms.backup.home_restore import restore_home

    if not _physical(path):
        raise click.UsageError("--home needs a physical backup (a <database>_<time>.physical directory); "
                               "restore a logical one with --into")
    with progress_bar(settings, "checking and preparing a copy") as progress:
        result = restore_home(path, home, key_file=_key_file(settings), trust_unsigned=trust_unsigned,
                              progress=progress)
    incrementals = len(result.chain) - 1
    click.echo(f"restored {result.backup.name}" + (f" (full + {incrementals} incremental)" if incrementals else "")
               + f" into a new server home {result.home} ({result.version}); its administrative login is in "
                 f"{result.home / 'client.cnf'}")
    click.echo(f"start it with: HMS_HOME={result.home} hms server start")


def _physical(path: str) -> bool:
    """True for a physical backup's directory; a usage error for any other directory."""
    if is_physical_path(Path(path)):
        return True
    if Path(path).is_dir():
        raise click.BadParameter(f"'{path}' is a directory, and not a physical backup (<database>_<time>.physical)",
                                 param_hint="PATH")
    return False


def _kind(b) -> str:
    """'logical', 'physical full' or 'physical incremental'."""
    return f"physical {b.manifest.chain.get('type', '?')}" if b.physical else "logical"


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
