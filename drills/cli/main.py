"""The `speechdrill` command line.

Exit codes: 0 ok; 1 a check ran and failed; 2 bad input (the message names the file, the
field path and what was expected); 3 an internal error (rerun with --debug for a traceback).
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import version as package_version
from typing import NoReturn

import click

from simulator.errors import CheckFailed, InputError

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


@dataclass
class Context:
    debug: bool = False


pass_context = click.make_pass_decorator(Context, ensure=True)


# each top-level command and the module that registers it: a command's module (and the
# simulator, the console, the reports behind it) is imported only when that command runs
COMMANDS = {
    "simulate": "simulate",
    "validate": "simulate",
    "profiles": "simulate",
    "profile": "profile",
    "scenario": "scenario",
    "fault": "scenario",
    "drill": "drill",
    "whatif": "whatif",
    "exam": "exam",
    "history": "history",
    "serve": "serve",
    "team": "team",
    "export": "export",
    "gate": "release",
    "packet": "release",
    "budget": "release",
    "eval": "release",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (`speechdrill --version` and
    `--help` import none of them)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        if cmd_name not in self.commands:
            import_module(f"drills.cli.{module}").register(self)
        return self.commands.get(cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_version("speechdrill"), prog_name="speechdrill")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Incident drills and chaos simulation for speech ML serving fleets."""
    ctx.obj = Context(debug=debug)


def main(argv: list[str] | None = None) -> NoReturn:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = cli.main(args=args, prog_name="speechdrill", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_BAD_INPUT if exc.exit_code == 2 else exc.exit_code)
    except InputError as exc:
        click.echo(f"error: {exc.render()}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except CheckFailed as exc:
        if str(exc):
            click.echo(f"check failed: {exc}", err=True)
        sys.exit(EXIT_CHECK_FAILED)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        click.echo(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in speechdrill; rerun with --debug for the traceback.",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
