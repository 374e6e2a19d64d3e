"""`speechdrill serve`: the drill console (drills/console/)."""

from __future__ import annotations

import click

from simulator.errors import InputError


def register(cli: click.Group) -> None:
    cli.add_command(serve)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--dask",
    metavar="ADDRESS",
    default=None,
    help="Run re-simulations on this Dask scheduler (e.g. tcp://10.0.0.5:8786) instead of "
    "this machine's cores; its workers need speechdrill installed.",
)
def serve(host: str, port: int, dask: str | None) -> None:
    """The drill console: facilitators create drills for a cohort, candidates join by link."""
    import uvicorn

    from drills.console.app import create_app, default_root

    if dask:
        _check_dask(dask)
    root = default_root()
    app = create_app(root, dask=dask)
    token = app.state.console.store.facilitator_token
    click.echo(f"facilitator: http://{host}:{port}/f/{token}  (keep this link to yourself)")
    click.echo(f"team drills: http://{host}:{port}/f/{token}/teams")
    click.echo(f"data: {root} (sessions, journal, console.sqlite)")
    if dask:
        click.echo(f"re-simulations: the Dask cluster at {dask}")
    # a team page's live channel is an open stream: stop waiting for it after a moment
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)


def _check_dask(address: str) -> None:
    """Refuse at once, with a message, a cluster that cannot be used."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError("--dask", "dist", "needs Dask: pip install 'speechdrill[dist]'") from None
    _check_listening(address)
    try:
        Client(address, timeout="10s").close()
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError("--dask", "", f"no Dask scheduler answers at {address} ({exc})") from None


def _check_listening(address: str) -> None:
    """A TCP address where nothing listens is refused at once: Dask's client would retry
    it for its whole timeout (ten seconds) before giving up."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address)
    if parts.scheme not in ("", "tcp") or not parts.hostname or parts.port is None:
        return  # another protocol, or no port: left to Dask's own check
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=3).close()
    except OSError as exc:
        raise InputError(
            "--dask", "", f"no Dask scheduler answers at {address} ({exc.strerror or exc})"
        ) from None
