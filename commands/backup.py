"""`hms backup`: create, list, verify and restore backups of the database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from hms.backup import create_backup, list_backups, restore_backup, verify_backup
from hms.backup.archive import archive_binlogs
from hms.backup.errors import BackupError
from hms.backup.in_progress import restore_marks
from hms.backup.manifest import is_physical_path
from hms.backup.point_in_time import restore_until
from hms.backup.prune import execute, plan_prune
from hms.backup.signing import KEY_NAME
from hms.config import Settings, check_database_name
from hms.errors import ConfigError, HmsError
from hms.login import admin_login
from hms.replication.backup import backup_source
from hms.server.config import BINLOG_RETENTION_DAYS

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
@click.option("--from-replica", metavar="NAME", help="Dump replica NAME instead of the primary (see `hms replica`).")
@click.pass_obj
def create(settings: Settings, as_json: bool, physical: bool, incremental: bool, from_replica: str | None) -> None:
    """Dump the database to <database>_<UTC time>.sql.gz; print its path.

    One consistent snapshot (--single-transaction) with routines, triggers and
    events, no DEFINER clauses, gzip-compressed, with a manifest beside it (sha256,
    size, row counts and checksums per table, the binary log position and GTID of the
    snapshot). A dump that fails leaves nothing. Then the binary logs that recovery from
    the kept backups needs are copied to HMS_BACKUP_DIR/binlogs (see archive-binlogs).

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
        hms backup create --from-replica r1
    """
    if incremental and not physical:
        raise click.UsageError("--incremental needs --physical")
    if physical and from_replica:
        raise click.UsageError("--from-replica makes a logical backup; physical backups copy the primary")
    extra = None
    if physical:
        from hms.backup.physical import create_physical_backup

        made = create_physical_backup(admin_login(settings), settings.backup_dir, incremental=incremental,
                                      key_file=_key_file(settings))
    else:
        with progress_bar(settings, f"dumping {settings.database}") as progress, \
                backup_source(settings, from_replica) as (login, extra):
            made = create_backup(login, settings.backup_dir, progress=progress,
                                 key_file=_key_file(settings), extra=extra)
    archived = []
    try:  # the backup stands on its own; archiving its binary logs is a second step that may fail alone
        result = archive_binlogs(admin_login(settings), settings.backup_dir, key_file=_key_file(settings))
        archived = [entry.name for entry in result.copied]
        _warn_lost(result)
    except HmsError as exc:
        click.echo(f"warning: the binary logs were not archived: {exc.message}", err=True)
    if as_json:
        echo_json({**made.as_dict(), "archived_binlogs": archived, **(extra or {})})
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
    for mark in restore_marks(settings):
        click.echo(f"warning: {mark.describe()}", err=True)
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
@click.option("--until", metavar='"YYYY-MM-DD HH:MM:SS"',
              help="Roll NAME forward with the binary log to this moment, in the server's time zone: the "
                   "database's transactions that committed before it are applied, none from that second on.")
@click.option("--until-gtid", metavar="GTID",
              help="Roll NAME forward up to and including this transaction (domain-server-sequence, e.g. 0-1-1234).")
@click.pass_obj
def restore(settings: Settings, path: str, into: str | None, home: Path | None, replace: bool, trust_unsigned: bool,
            allow_definer_objects: bool, until: str | None, until_gtid: str | None) -> None:
    """Restore a backup made by hms into a new database NAME (optionally as it was at a moment),
    or a physical one into a new server home.

    Only backups whose manifest is signed by this installation's key ($HMS_HOME/backup.key)
    and whose checksum matches are restored. The dump runs as NAME's restore account,
    which holds privileges on NAME only; events come back disabled. A restore that
    fails drops what it made and says which statement failed.

    Roles are server-wide but grant on the database they were migrated into: run
    `hms --database NAME db migrate --reapply` to extend them to NAME.

    With --until or --until-gtid (point-in-time recovery), NAME must be new: the backup
    is restored, then the source database's transactions from the backup's binary log
    position to that moment are replayed into NAME (renamed), from the server's binary
    log or the archive in HMS_BACKUP_DIR/binlogs. Every file, checksum and the GTID
    sequence are checked before anything is written; the live database is not touched.

    A physical backup (and the chain it needs) is checked file by file, prepared and
    started as a scratch server; --into copies its database from there as above. --home
    DIR makes DIR a new server home instead (disaster recovery), with a new administrative
    password in DIR/client.cnf; `HMS_HOME=DIR hms server start` runs it (see docs/backups.md).

    \b
    Example:
        hms backup restore backups/hms_20250101T020000.000Z.sql.gz --into hms_copy
        hms backup restore backups/hms_20250101T020000.000Z.sql.gz --into hms_1041 --until "2025-01-01 10:41:00"
        hms backup restore backups/hms_20250101T030000.000Z.physical --home /var/lib/hms-new
    """
    if (into is None) == (home is None):
        raise click.UsageError("give exactly one of --into NAME and --home DIR")
    if home is not None:
        if replace or allow_definer_objects:
            raise click.UsageError("--replace and --allow-definer-objects go with --into, not --home")
        if until is not None or until_gtid is not None:
            _restore_home_until(settings, path, home, until, until_gtid, trust_unsigned)
            return
        _restore_home(settings, path, home, trust_unsigned)
        return
    try:
        check_database_name(into)
    except ConfigError as exc:
        raise click.BadParameter(exc.message, param_hint="--into") from None
    if until is not None or until_gtid is not None:
        if replace:
            raise BackupError("--replace cannot be combined with --until or --until-gtid",
                              "A point-in-time restore makes a new database: pick a new name")
        _physical(path)  # a directory that is not a physical backup is a usage error
        _restore_until(settings, path, into, until, until_gtid, trust_unsigned, allow_definer_objects)
        return
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
    if result.cleaned is not None:
        click.echo(f"dropped the half-restored '{into}' left by the restore of {result.cleaned.backup} "
                   f"interrupted since {result.cleaned.started_at:%Y-%m-%d %H:%M:%S} UTC")
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
    click.echo(_start_hint(result.home))


def _restore_home_until(settings: Settings, path: str, home: Path, until: str | None, until_gtid: str | None,
                        trust_unsigned: bool) -> None:
    """`restore --home --until`: disaster recovery to a moment, from the old server's log or the archive."""
    from hms.backup.point_in_time import restore_home_until

    if not _physical(path):
        raise click.UsageError("--home needs a physical backup (a <database>_<time>.physical directory); "
                               "restore a logical one with --into")
    source = _answering(admin_login, settings)
    if source is None and not settings.quiet:
        click.echo("the server does not answer: rolling forward from the archived binary logs alone", err=True)

    def planned(plan):
        if not settings.quiet:
            click.echo(f"rolling forward {plan.transactions:,} transaction(s) from {plan.start.file}:"
                       f"{plan.start.position}", err=True)
        return None

    with progress_bar(settings, "checking and preparing a copy") as progress:
        made, plan, applied = restore_home_until(source, path, home, until=until, until_gtid=until_gtid,
                                                 backup_dir=settings.backup_dir, key_file=_key_file(settings),
                                                 trust_unsigned=trust_unsigned, progress=progress,
                                                 on_planned=planned)
    click.echo(f"restored {made.backup.name} into a new server home {made.home} ({made.version}), rolled forward "
               f"{plan.transactions:,} transaction(s); its administrative login is in {made.home / 'client.cnf'}")
    click.echo(_start_hint(made.home))


def _start_hint(home: Path) -> str:
    """How to start a restored home: with the passphrase too when its server key file is protected by one."""
    from hms import encryption

    key_file = encryption.server_key_file(home)
    protected = key_file.is_file() and encryption.is_protected_file(key_file)
    passphrase = f"{encryption.PASSPHRASE_ENV}=... " if protected else ""
    return f"start it with: {passphrase}HMS_HOME={home} hms server start"


def _answering(login, settings: Settings):
    """The administrative login when its server answers, else None (it may be the server that was lost)."""
    from hms.connection import session

    try:
        info = login(settings)
        with session(info, database=None):
            return info
    except HmsError:
        return None


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


def _restore_until(settings: Settings, path: str, into: str, until: str | None, until_gtid: str | None,
                   trust_unsigned: bool, allow_definer_objects: bool) -> None:
    """restore --until / --until-gtid: restore, roll forward, say how far it went."""
    from pathlib import Path

    bars = []

    def planned(plan):
        sources = sorted({f"{s.name} ({s.source})" for s in plan.segments})
        if not settings.quiet:
            click.echo(f"rolling forward {plan.transactions:,} transaction(s) of '{plan.database}' from "
                       f"{plan.start.file}:{plan.start.position} using {', '.join(sources)}", err=True)
            from tqdm import tqdm

            bars.append(tqdm(total=plan.groups, unit="txn", desc="rolling forward", leave=False, dynamic_ncols=True))
            return bars[0].update
        return None

    total = Path(path).stat().st_size if Path(path).is_file() else None
    try:
        with progress_bar(settings, f"restoring into {into}", total) as progress:
            result = restore_until(admin_login(settings), path, into, until=until, until_gtid=until_gtid,
                                   backup_dir=settings.backup_dir, key_file=_key_file(settings),
                                   trust_unsigned=trust_unsigned, allow_definer_objects=allow_definer_objects,
                                   progress=progress, on_planned=planned)
    finally:
        for bar in bars:
            bar.close()
    plan = result.plan
    for statement in result.applied.skipped:
        click.echo(f"note: left out an account statement (accounts are the server's, not the database's): "
                   f"{statement}", err=True)
    last = f", the last {plan.last_gtid}" if plan.last_gtid else ""
    click.echo(f"restored {result.restore.backup.name} into '{into}' and rolled it forward: "
               f"{plan.transactions:,} transaction(s){last}, up to {plan.reason}")


@backup.command("archive-binlogs")
@click.pass_obj
def archive_binlogs_(settings: Settings) -> None:
    """Copy the binary logs that recovery from the kept backups needs into HMS_BACKUP_DIR/binlogs.

    The server's current binary log file is closed first (FLUSH BINARY LOGS), then every
    closed file from the oldest backup's binlog position on that is not yet archived is
    copied (0600, checksummed in a signed index), so point-in-time recovery survives the
    server's disk and its binary log retention. `hms backup create` does this at its end.

    \b
    Example:
        hms backup archive-binlogs
    """
    _report_archive(archive_binlogs(admin_login(settings), settings.backup_dir, key_file=_key_file(settings)))


def _report_archive(result) -> None:
    if result.needed_from is None:
        click.echo("no backup records a binary log position: nothing to archive")
        return
    for entry in result.copied:
        click.echo(f"archived {entry.name} ({_size(entry.bytes)}, up to GTID {entry.end_state or '-'})")
    if not result.copied:
        click.echo(f"the archive already holds every closed binary log from {result.needed_from} on")
    _warn_lost(result)


def _warn_lost(result) -> None:
    for name in result.lost:
        click.echo(f"warning: {name} is purged from the server and was never archived: backups before it cannot "
                   "be rolled forward past it", err=True)


@backup.command("prune")
@click.option("--keep-last", type=click.IntRange(min=0), metavar="N", help="Keep the newest N backups of each database.")
@click.option("--keep-days", type=click.FloatRange(min=0), metavar="D", help="Keep the backups younger than D days.")
@click.option("--yes", is_flag=True, help="Delete; without it prune only prints what it would delete and why.")
@click.pass_obj
def prune(settings: Settings, keep_last: int | None, keep_days: float | None, yes: bool) -> None:
    """Delete old backups and the archived binary logs no kept backup needs (a dry run without --yes).

    A backup stays when either rule keeps it; the newest verified backup of each
    database (signed, checksum matching) and the full backup a kept incremental is
    built on always stay, and so does every archived binary log file from the earliest
    one a kept backup rolls forward from. Backups made elsewhere (unsigned) are never
    deleted. The server keeps its binary log BINLOG_RETENTION_DAYS (7) days: prune warns
    when --keep-days keeps backups longer and their binary logs are not archived.

    \b
    Example:
        hms backup prune --keep-last 7 --keep-days 14
        hms backup prune --keep-last 7 --keep-days 14 --yes
    """
    plan = plan_prune(settings.backup_dir, keep_last=keep_last, keep_days=keep_days, key_file=_key_file(settings),
                      server_retention_days=BINLOG_RETENTION_DAYS)
    if yes:
        execute(plan, settings.backup_dir, key_file=_key_file(settings))
    verb = "deleted" if yes else "would delete"
    for decision in plan.backups:
        click.echo(f"{'keep' if decision.keep else verb:<12}  {decision.name}  ({'; '.join(decision.reasons)})")
    for decision in plan.binlogs:
        click.echo(f"{'keep' if decision.keep else verb:<12}  binlogs/{decision.name}  ({'; '.join(decision.reasons)})")
    for name in plan.untouched:
        click.echo(f"{'untouched':<12}  {name}  (unsigned: made elsewhere, never pruned)")
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    backups, logs = plan.deletions
    if yes:
        click.echo(f"deleted {len(backups)} backup(s) and {len(logs)} archived binary log file(s)")
    else:
        click.echo(f"dry run: nothing deleted; --yes deletes {len(backups)} backup(s) and {len(logs)} archived "
                   "binary log file(s)")


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
