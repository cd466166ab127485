"""`hms cluster`: a Galera cluster of embedded MariaDB nodes under $HMS_HOME/cluster."""

from __future__ import annotations

import click

from hms.cluster import DEFAULT_BASE_PORT, Cluster
from hms.config import Settings

from .options import echo_json, json_option


@click.group()
def cluster() -> None:
    """Run hms on a Galera cluster: synchronous, every node takes writes (MariaDB only).

    After `start`, every hms command run with this HMS_HOME reaches the cluster through
    node 1 (or the node `hms cluster use K` names). On MySQL, use `hms replica`.

    \b
    Example:
        HMS_HOME=./.hms-cluster hms cluster start --nodes 3 && hms db migrate && hms cluster status
    """


def _announce(settings: Settings):
    def say(number: int, what: str) -> None:
        if not settings.quiet:
            click.echo(f"node {number}: {what}")
    return say


@cluster.command("start")
@click.option("--nodes", type=click.IntRange(1, 9), help="Nodes of a new cluster [default: 3]; an existing "
              "cluster keeps its own.")
@click.option("--base-port", type=click.IntRange(1024, 65000),
              help=f"Node 1's client port; node K's is base + 10(K-1), its replication, IST and SST ports the "
                   f"three after it [default: the first free block from {DEFAULT_BASE_PORT}].")
@click.pass_obj
def start(settings: Settings, nodes: int | None, base_port: int | None) -> None:
    """Start the cluster: bootstrap a new one, start its missing nodes, or cold-start it.

    A cold start (every node stopped) bootstraps from the node with the most advanced
    saved position, never from a stale one. Idempotent: a running cluster is left as it is.

    \b
    Example:
        hms cluster start --nodes 3 --base-port 4560
    """
    the_cluster = Cluster.prepare(settings.home, nodes=nodes, base_port=base_port)
    statuses = the_cluster.start(on_node=_announce(settings))
    _print_statuses(statuses)


@cluster.command("stop")
@click.pass_obj
def stop(settings: Settings) -> None:
    """Shut every node down cleanly, one after another.

    \b
    Example:
        hms cluster stop
    """
    stopped = Cluster.open(settings.home).stop(on_node=_announce(settings))
    click.echo(f"stopped {len(stopped)} node(s)" if stopped else "no node was running")


@cluster.command("restart-node")
@click.argument("number", type=int, metavar="K")
@click.pass_obj
def restart_node(settings: Settings, number: int) -> None:
    """Stop node K cleanly and start it again; it rejoins by incremental transfer (IST) when it can.

    A node that is down (crashed or killed) is just started. When no node is left in the
    primary component and every missing node is down, the primary component is first
    re-formed on the most advanced running node.

    \b
    Example:
        hms cluster restart-node 2
    """
    rejoin = Cluster.open(settings.home).restart_node(number)
    how = {"IST": "by incremental state transfer (IST)", "SST": "by full state transfer (SST)",
           "none": "with nothing to transfer"}[rejoin.method]
    click.echo(f"node {rejoin.node} rejoined {how} in {rejoin.seconds:.1f} s")


@cluster.command("status")
@json_option
@click.pass_obj
def status(settings: Settings, as_json: bool) -> None:
    """Each node: state, cluster size, primary component or not, ready for writes, flow control.

    Exits 1 when a node is down or not Synced in the primary component.

    \b
    Example:
        hms cluster status --json
    """
    statuses = Cluster.open(settings.home).status()
    if as_json:
        echo_json([s.as_dict() for s in statuses])
    else:
        _print_statuses(statuses)
    if not all(s.synced for s in statuses):
        raise SystemExit(1)


@cluster.command("use")
@click.argument("number", type=int, metavar="K")
@click.pass_obj
def use(settings: Settings, number: int) -> None:
    """Make hms commands in this HMS_HOME reach the cluster through node K.

    \b
    Example:
        hms cluster use 2 && hms db verify
    """
    node = Cluster.open(settings.home).use(number)
    click.echo(f"hms commands in {settings.home} now reach the cluster through node {node.node} "
               f"(port {node.port})")


def _print_statuses(statuses) -> None:
    click.echo(f"{'node':<5} {'port':<6} {'state':<12} {'size':<5} {'primary':<8} {'ready':<6} flow-control paused")
    for s in statuses:
        if not s.running:
            click.echo(f"{s.node:<5} {s.port:<6} {'down':<12}")
            continue
        paused = "-" if s.flow_control_paused is None else f"{s.flow_control_paused:.1%}"
        click.echo(f"{s.node:<5} {s.port:<6} {s.state or '?':<12} {s.cluster_size or 0:<5} "
                   f"{'yes' if s.primary else 'NO':<8} {'yes' if s.ready else 'NO':<6} {paused}")
