"""`hms seed`: generate and load the dataset; `hms seed verify`: prove what it holds."""

from __future__ import annotations

import click

from hms.config import Settings
from hms.login import admin_login


@click.group(invoke_without_command=True)
@click.option("--scale", "scale_text", metavar="S", help="Dataset scale, at most 10; 1.0 is 32,014,418 rows [default: 1.0]")
@click.option("--seed", "seed_text", metavar="N", help="Random seed; the same seed and scale give the same rows "
                                                       "[default: 42]")
@click.option("--workers", "workers_text", metavar="N", help="Generator processes, at most 4 per core [default: the machine's cores]")
@click.option("--resume", is_flag=True, help="Load only the chunks an interrupted run did not commit.")
@click.option("--as-of", "as_of_text", metavar="DATE",
              help="The dataset's 'today' (past and future appointments are relative to it) [default: today]")
@click.option("--log-bin", is_flag=True,
              help="Write the load to the binary log (needed with replicas attached) [default: not logged]")
@click.pass_context
def seed(ctx: click.Context, scale_text, seed_text, workers_text, resume, as_of_text, log_bin) -> None:
    """Generate the dataset with Faker and numpy and bulk-load it with LOAD DATA.

    Refuses a database that already holds data, unless --resume finishes an
    interrupted run of the same --seed and --scale. The rows are not written to the
    binary log (they are reproducible from --seed and --scale) unless --log-bin, and
    an unlogged load is refused while replicas are attached; take a backup afterwards:
    it is where every later point-in-time recovery starts.

    \b
    Example:
        hms seed --scale 0.01 --workers 2
        hms seed --scale 0.01 --resume
        hms seed --scale 0.01 --log-bin      # with replicas attached
        hms seed verify --scale 0.01
    """
    if ctx.invoked_subcommand is not None:
        return
    from seed.run import parse_options, run

    settings: Settings = ctx.obj
    options = parse_options(scale_text, seed_text, workers_text, resume, as_of_text, log_bin)
    result = run(admin_login(settings), options, quiet=settings.quiet)
    rate = result.rows_loaded / result.seconds if result.seconds else 0
    click.echo(f"loaded {result.rows_loaded:,} rows in {result.chunks_loaded} chunk(s) into '{settings.database}' "
               f"in {result.seconds:.1f} s ({rate:,.0f} rows/s; indexes {result.index_seconds:.1f} s)"
               + (f"; {result.chunks_skipped} chunk(s) were already loaded" if result.chunks_skipped else "")
               + "; hospital rows only: hms's bookkeeping tables (hms_schema_history, hms_seed_chunk, hms_seed_log) "
                 "are not counted")
    after_seed(settings, result)


def after_seed(settings: Settings, result) -> None:
    """What follows a completed load: today, the advice to take the first backup.

    The hook for the automatic first full backup (physical, once `hms backup create
    --physical` exists): it belongs here, after the load, before anything else writes.
    """
    from seed.run import backup_advice

    click.echo(backup_advice(result.logging))


@seed.command("verify")
@click.option("--scale", "scale_text", metavar="S", help="Expected scale [default: the scale that was loaded]")
@click.pass_obj
def verify(settings: Settings, scale_text) -> None:
    """Check row counts, foreign keys, double bookings and the realism rules; exit 1 listing failures.

    \b
    Example:
        hms seed verify --scale 0.01
    """
    from seed.run import parse_options
    from seed.checks import verify as verify_seed

    scale = parse_options(scale_text=scale_text).scale if scale_text is not None else None
    report = verify_seed(admin_login(settings), scale)
    for line in report.passed:
        if not settings.quiet:
            click.echo(f"ok    {line}")
    for line in report.failed:
        click.echo(f"FAIL  {line}")
    if report.failed:
        raise click.ClickException(f"'{settings.database}' fails {len(report.failed)} seed check(s). "
                                   "Re-seed a freshly migrated database with `hms seed`")
    click.echo(f"'{settings.database}' passes all {len(report.passed)} seed checks")
