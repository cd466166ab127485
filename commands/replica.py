"""`hms replica`: read replicas of the embedded server, their health, promotion and checks."""

from __future__ import annotations

import click

from hms.config import Settings
from hms.replication import ReplicationError, locked
from hms.replication import topology as topologies
from hms.replication.add import add_replica
from hms.replication.check import check_replica
from hms.replication.lifecycle import remove_replica, start_member, stop_member
from hms.replication.promote import failover, switchover
from hms.replication.rejoin import rejoin
from hms.replication.status import PRIMARY, MemberState, all_states

from .options import echo_json, json_option


def _home(settings: Settings):
    if settings.url:
        raise ReplicationError("`hms replica` manages replicas of the embedded server in HMS_HOME, and --url / "
                               "HMS_DATABASE_URL names another server",
                               "Unset HMS_DATABASE_URL (and --url); for a server elsewhere see docs/replication.md")
    return settings.home


def _say(settings: Settings):
    return (lambda text: None) if settings.quiet else (lambda text: click.echo(text, err=True))


@click.group()
def replica() -> None:
    """Read replicas of the embedded server: add, watch, promote, check, remove.

    Each replica is a server home of its own under $HMS_HOME/replicas/NAME, copied
    from the running primary by mariadb-backup and kept in step by GTID replication;
    it is read-only to every hms account. See docs/replication.md.

    \b
    Example:
        hms replica add r1 && hms replica status
    """


@replica.command("add")
@click.argument("name")
@click.option("--port", type=click.IntRange(1, 65535), help="TCP port on 127.0.0.1 [default: first free above the primary's]")
@click.option("--semi-sync", is_flag=True,
              help="The primary waits for this replica's acknowledgement before a commit returns.")
@click.pass_obj
def add(settings: Settings, name: str, port: int | None, semi_sync: bool) -> None:
    """Add replica NAME: copy the running primary (no downtime), start it, attach it.

    \b
    Example:
        hms replica add r1
        hms replica add r2 --port 3320 --semi-sync
    """
    with locked(_home(settings)) as topology:
        made = add_replica(topology, name, port=port, semi_sync=semi_sync, say=_say(settings))
    mode = "semi-synchronous" if semi_sync else "asynchronous"
    click.echo(f"added '{name}': port {made.port}, {mode}, started at {made.gtid or 'the beginning'}, "
               f"buffer pool {made.pool_bytes >> 20} MiB, read-only")


def _nice(state: MemberState) -> str:
    """The server's CPU and I/O priority: a replica yields to the primary (hms/replication/priority.py)."""
    return f"  {state.priority}" if state.priority else ""


def _line(state: MemberState) -> str:
    where = f"port {state.port}" if state.port else "port -"
    if state.role == PRIMARY:
        semi = ""
        if state.semi_sync:
            semi = (f", semi-sync {'on' if state.semi_sync_active else 'OFF (fell back to async)'}, "
                    f"{state.semi_sync_clients} acknowledging")
        health = "running" if state.running else "NOT RUNNING"
        return f"{state.name}  primary  {where}  {health}{semi}{_nice(state)}  gtid {state.gtid or '-'}"
    lag = "-" if state.lag_seconds is None else f"{state.lag_seconds} s"
    trx = "-" if state.lag_transactions is None else f"{state.lag_transactions} transactions"
    text = (f"{state.name}  {state.role}  {where}  {'running' if state.running else 'stopped'}  "
            f"lag {lag} / {trx}  io {state.io_state or '-'}  sql {state.sql_state or '-'}{_nice(state)}  "
            f"{'semi-sync  ' if state.semi_sync else ''}gtid {state.gtid or '-'}")
    problem = state.problem()
    return f"{text}  {'BROKEN: ' + problem if problem else 'ok'}"


def _show(settings: Settings, names: list[str] | None, as_json: bool, with_primary: bool) -> None:
    topology = topologies.load(_home(settings))
    if topology is None or not topology.replicas():
        if as_json:
            echo_json([])
        else:
            click.echo("no replicas (add one with `hms replica add NAME`)")
        return
    primary, states = all_states(topology, names)
    shown = ([primary] if with_primary else []) + states
    if as_json:
        echo_json([s.as_dict() for s in shown])
    else:
        for state in shown:
            click.echo(_line(state))
    if any(s.broken for s in states):
        raise SystemExit(1)


@replica.command("list")
@json_option
@click.pass_obj
def list_(settings: Settings, as_json: bool) -> None:
    """List the primary and every replica: role, port, running, lag, health.

    Exits 1 when a replica is broken.

    \b
    Example:
        hms replica list --json
    """
    _show(settings, None, as_json, with_primary=True)


@replica.command("status")
@click.argument("name", required=False)
@json_option
@click.pass_obj
def status(settings: Settings, name: str | None, as_json: bool) -> None:
    """Per replica: running, port, lag (seconds and transactions), I/O and SQL threads, last error.

    Exits 1 when a replica is broken (not running, a thread stopped or
    reconnecting, or an old primary waiting to rejoin), saying how to fix it.

    \b
    Example:
        hms replica status
        hms replica status r1 --json
    """
    _show(settings, [name] if name else None, as_json, with_primary=False)


@replica.command("promote")
@click.argument("name", required=False)
@click.option("--failover", "is_failover", is_flag=True,
              help="The primary is gone: promote the most advanced replica (NAME, if none is ahead of it).")
@click.pass_obj
def promote(settings: Settings, name: str | None, is_failover: bool) -> None:
    """Make replica NAME the primary; `hms` then reaches it (the `primary` record in HMS_HOME).

    Planned switchover: the primary is made read-only, NAME catches up to its last
    transaction, becomes writable, the other replicas follow it and the old primary
    becomes its replica; nothing is lost. --failover, when the primary is gone: the
    most advanced replica is promoted and what may have been lost is stated.

    \b
    Example:
        hms replica promote r1
        hms replica promote --failover
    """
    if not name and not is_failover:
        raise click.UsageError("name the replica to promote (only --failover may choose one)")
    with locked(_home(settings)) as topology:
        if is_failover:
            done = failover(topology, name, say=_say(settings))
        else:
            done = switchover(topology, name, say=_say(settings))
    click.echo(f"'{done.new_primary}' is the primary (at {done.at_gtid or 'the beginning'}); "
               f"`hms` commands of this HMS_HOME now reach it")
    if done.repointed:
        click.echo(f"replicating from it: {', '.join(done.repointed)}")
    if done.unreachable:
        click.echo(f"not repointed (not answering; `hms replica start NAME` repoints them): "
                   f"{', '.join(done.unreachable)}")
    if done.failover:
        click.echo(f"'{done.old_primary}' is fenced: read-only from its next start; attach it with "
                   f"`hms replica rejoin {done.old_primary}`")
    click.echo(f"lost: {done.statement}")


@replica.command("rejoin")
@click.argument("name")
@click.option("--rebuild", is_flag=True,
              help="Copy the primary afresh into NAME (its data and binary log are moved aside, not deleted).")
@click.pass_obj
def rejoin_(settings: Settings, name: str, rebuild: bool) -> None:
    """Attach NAME (an old primary, or a broken replica with --rebuild) to the current primary.

    \b
    Example:
        hms replica rejoin main
        hms replica rejoin r1 --rebuild
    """
    with locked(_home(settings)) as topology:
        click.echo(rejoin(topology, name, rebuild=rebuild, say=_say(settings)))


@replica.command("remove")
@click.argument("name")
@click.pass_obj
def remove(settings: Settings, name: str) -> None:
    """Stop replica NAME, detach it and delete its home. Refused for the primary.

    \b
    Example:
        hms replica remove r2
    """
    with locked(_home(settings)) as topology:
        remove_replica(topology, name)
    click.echo(f"removed '{name}'")


@replica.command("check")
@click.argument("name", required=False)
@click.pass_obj
def check(settings: Settings, name: str | None) -> None:
    """Compare every table of the primary and each replica (or NAME) at one GTID.

    Rows and a content checksum per table, and every routine, trigger and view, read
    in snapshots taken at the same position. Exits 1 listing every difference.

    \b
    Example:
        hms replica check r1
    """
    topology = topologies.load(_home(settings))
    if topology is None or not topology.replicas():
        raise ReplicationError("there are no replicas to check", "Add one with `hms replica add NAME`")
    members = [topology.member(name)] if name else [m for m in topology.replicas() if not m.fenced]
    differing = 0
    for member in members:
        result = check_replica(topology, member)
        for line in result.differences:
            click.echo(f"{member.name}: {line}")
        if result.consistent:
            click.echo(f"{member.name}: identical to the primary at {result.gtid} ({result.tables} tables)")
        differing += not result.consistent
    if differing:
        raise ReplicationError(f"{differing} replica(s) differ from the primary",
                               "Rebuild a differing replica with `hms replica rejoin NAME --rebuild`")


def _members(topology, name: str | None):
    if name:
        return [topology.member(name)]
    return [topology.primary_member(), *topology.replicas()]


@replica.command("start")
@click.argument("name", required=False)
@click.pass_obj
def start(settings: Settings, name: str | None) -> None:
    """Start replica NAME (or the primary and every replica); a replica resumes replicating.

    \b
    Example:
        hms replica start r1
    """
    with locked(_home(settings)) as topology:
        for member in _members(topology, name):
            start_member(topology, member)
        _, states = all_states(topology, [m.name for m in _members(topology, name)])
    for state in states:
        click.echo(_line(state))


@replica.command("stop")
@click.argument("name", required=False)
@click.pass_obj
def stop(settings: Settings, name: str | None) -> None:
    """Shut replica NAME (or every replica, then the primary) down cleanly.

    \b
    Example:
        hms replica stop
    """
    with locked(_home(settings)) as topology:
        for member in reversed(_members(topology, name)):
            click.echo(f"{member.name}: {'stopped' if stop_member(member) else 'not running'}")
