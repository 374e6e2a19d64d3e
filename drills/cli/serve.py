"""`speechdrill serve`: the drill console (drills/console/)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    cli.add_command(serve)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """The drill console: facilitators create drills for a cohort, candidates join by link."""
    import uvicorn

    from drills.console.app import create_app, default_root

    root = default_root()
    app = create_app(root)
    token = app.state.console.store.facilitator_token
    click.echo(f"facilitator: http://{host}:{port}/f/{token}  (keep this link to yourself)")
    click.echo(f"team drills: http://{host}:{port}/f/{token}/teams")
    click.echo(f"data: {root} (sessions, journal, console.sqlite)")
    # a team page's live channel is an open stream: stop waiting for it after a moment
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
