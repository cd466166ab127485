"""`hms server health` as text: one line per figure, then the warnings."""

from __future__ import annotations

import click

from hms.health import Health, duration_text, size_text


def echo_health(state: Health) -> None:
    """Print `state` for people."""
    click.echo(f"server       {state.version}, up {duration_text(state.uptime_seconds)}")
    click.echo(f"connections  {state.connections} of {state.max_connections} (peak {state.max_used_connections}); "
               f"refused {state.refused_connections} (at max_connections: {state.refused_at_max})")
    rate = "n/a" if state.buffer_pool_hit_rate is None else f"{state.buffer_pool_hit_rate:.2%}"
    click.echo(f"buffer pool  hit rate {rate}")
    for disk in state.disks:
        share = "" if disk.free_share is None else f" ({disk.free_share:.0%})"
        click.echo(f"disk         {size_text(disk.free_bytes)} free{share} under the {disk.label} {disk.path}")
    if state.binlog_enabled:
        retention = ("unset" if state.binlog_retention_seconds is None
                     else duration_text(state.binlog_retention_seconds))
        click.echo(f"binary log   {state.binlog_files} file(s), {size_text(state.binlog_bytes)}, kept {retention}")
    else:
        click.echo("binary log   off")
    for replica in state.replicas:
        lag = "?" if replica.get("lag_seconds") is None else f"{replica['lag_seconds']} s"
        click.echo(f"replica      {replica['name']}: lag {lag}" + (f"; {replica['problem']}" if replica.get("problem")
                                                                   else ""))
    if state.cluster is not None:
        click.echo(f"cluster      {state.cluster['state']}, size {state.cluster['cluster_size']}, "
                   f"{'primary' if state.cluster['primary'] else 'NOT primary'}")
    backup = state.newest_verified_backup
    click.echo("backup       none verified" if backup is None
               else f"backup       {backup['name']}, {backup['age_hours']:.1f} h old")
    click.echo(f"statements   {len(state.long_statements)} running >= {state.long_statement_seconds} s")
    for s in state.long_statements:
        click.echo(f"  {s.id:>8}  {s.user}@{s.host}  {s.seconds} s  {s.command}  {s.state or ''}  "
                   f"{(s.text or '').replace(chr(10), ' ')}")
    for warning in state.warnings:
        click.echo(f"warning: {warning}")
    if not state.warnings:
        click.echo("healthy")
