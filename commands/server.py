"""`hms server`: the embedded server in HMS_HOME."""

from __future__ import annotations

import click

from hms.config import Settings
from hms.server import EmbeddedServer

from .options import json_option


@click.group()
def server() -> None:
    """Start, stop and inspect the embedded server kept in HMS_HOME.

    \b
    Example:
        hms server start && hms server status
    """


@server.command("start")
@click.option("--port", type=click.IntRange(1, 65535), help="TCP port on 127.0.0.1 [default: first free from 3307]")
@click.option("--bind", metavar="ADDRESS",
              help="Listen on ADDRESS (e.g. 0.0.0.0) instead of 127.0.0.1; every TCP login must then use TLS. "
                   "Remembered for later starts [default: as last time, else 127.0.0.1]")
@click.option("--access-audit/--no-access-audit", default=None,
              help="Record logins and which tables each account reads and writes (MariaDB's server_audit, "
                   "into $HMS_HOME/audit). Remembered [default: as last time, else on]")
@click.option("--password-check/--no-password-check", default=None,
              help="The server itself refuses plain-text passwords weaker than hms's policy (MariaDB's "
                   "simple_password_check); hms sends only hashes and checks them before hashing. "
                   "Remembered [default: as last time, else off]")
@click.option("--encrypt", is_flag=True,
              help="Encrypt everything the server writes (tables, redo and undo logs, binary logs, temporary "
                   "files, Aria tables) and every backup file. Only when the home is made")
@click.pass_obj
def start(settings: Settings, port: int | None, bind: str | None, access_audit: bool | None,
          password_check: bool | None, encrypt: bool) -> None:
    """Start the embedded server, creating it on first use; waits until it answers.

    Idempotent: a running server is left as it is. TLS is served on TCP with a
    certificate from the home's own CA (`hms server ca` prints it).

    \b
    Example:
        HMS_HOME=./.hms hms server start --port 3307
        hms server start --bind 0.0.0.0
        HMS_HOME=/var/lib/hms hms server start --encrypt
    """
    status = EmbeddedServer(settings.home).start(port=port, bind=bind, access_audit=access_audit,
                                                 password_check=password_check, encrypt=encrypt)
    click.echo(f"running: {status.version} at {status.url}")


@server.command("stop")
@click.pass_obj
def stop(settings: Settings) -> None:
    """Shut the embedded server down cleanly.

    \b
    Example:
        hms server stop
    """
    stopped = EmbeddedServer(settings.home).stop()
    click.echo("stopped" if stopped else "not running")


@server.command("status")
@json_option
@click.pass_obj
def status(settings: Settings, as_json: bool) -> None:
    """Say whether the embedded server runs, its version, and the URL that reaches it.

    Exits 1 when it is not running.

    \b
    Example:
        hms server status
    """
    import json

    state = EmbeddedServer(settings.home).status()
    if as_json:
        click.echo(json.dumps({"running": state.running, "version": state.version, "url": state.url,
                               "home": str(state.home), "pid": state.pid, "host": state.tcp_host,
                               "port": state.tcp_port, "socket": state.socket,
                               "client_command": state.client_command}))
    elif state.running:
        click.echo(f"running: {state.version} at {state.url} (pid {state.pid}, home {state.home})")
        click.echo(f"tcp: {state.tcp_host}:{state.tcp_port}")
        click.echo(f"connect: {state.client_command}  (the password is in {state.home / 'client.cnf'})")
    else:
        click.echo(f"not running (home {state.home}); start it with `hms server start`")
    if not state.running:
        raise SystemExit(1)


@server.command("ca")
@click.pass_obj
def ca(settings: Settings) -> None:
    """Print the CA certificate (PEM) clients verify the embedded server with.

    \b
    Example:
        hms server ca > hms-ca.pem
        mariadb -h db.example.org -u alice -p --ssl-ca=hms-ca.pem --ssl-verify-server-cert
    """
    from hms import tls

    click.echo(tls.ca_pem(settings.home), nl=False)


@server.command("rotate-key")
@click.pass_obj
def rotate_key(settings: Settings) -> None:
    """Add a new encryption key, restart with it, and re-encrypt every table under it.

    Older keys stay in $HMS_HOME/keys/server.key: the redo log, system tablespace, Aria
    tables and existing binary logs were written under them.

    \b
    Example:
        hms server rotate-key
    """
    from hms.server.protection import rotate_key as rotate

    key_id, tables = rotate(EmbeddedServer(settings.home))
    click.echo(f"key {key_id} is now the default; {tables} tables re-encrypted under it")


@server.command("health")
@click.option("--threshold", type=click.IntRange(0), default=10, show_default=True, metavar="SECONDS",
              help="List statements running at least this long.")
@click.option("--backup-max-age", type=click.FloatRange(0), default=26.0, show_default=True, metavar="HOURS",
              help="Warn when the newest verified backup is older than this.")
@json_option
@click.pass_obj
def health(settings: Settings, threshold: int, backup_max_age: float, as_json: bool) -> None:
    """How the server is doing: uptime, connections, long statements, buffer pool, disk,
    binary log, replicas, cluster, the newest verified backup.

    Exits 1 when a warning holds (each printed with what to do), so it can run from cron
    or a monitor; 0 when healthy.

    \b
    Example:
        hms server health
        hms server health --threshold 30 --json
    """
    from hms.backup.signing import KEY_NAME
    from hms.health import read_health
    from hms.login import admin_login

    from .health_view import echo_health

    state = read_health(admin_login(settings), settings.backup_dir, home=settings.home if settings.embedded else None,
                        key_file=settings.home / KEY_NAME, long_seconds=threshold,
                        backup_max_age_hours=backup_max_age)
    if as_json:
        import json

        click.echo(json.dumps(state.as_dict(), indent=2, default=str))
    else:
        echo_health(state)
    if state.warnings:
        raise SystemExit(1)
