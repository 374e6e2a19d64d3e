"""Output shared by the commands: JSON for machines, a progress bar for people."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click


def quiet_simulator() -> None:
    """Keep the simulator's notes for scenario authors off a trainee's terminal: a profile
    extrapolation warning names the batch size or audio length a fault drove a pool to, so
    on a drill's look it tells, at no clock, what the drill makes the trainee find (the
    console keeps it in the server's log). Authors meet it in `scenario verify` and
    `simulate`. Filtered by its class, not its words, so a reworded note stays quiet."""
    from simulator.spec.profiles import ProfileExtrapolationWarning

    warnings.filterwarnings("ignore", category=ProfileExtrapolationWarning)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[float], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=100, label=label, file=sys.stderr) as bar:
        done = [0]

        def report(fraction: float) -> None:
            step = int(fraction * 100) - done[0]
            if step > 0:
                bar.update(step)
                done[0] += step

        yield report


def out_folder(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The `--out DIR` option the commands that write files share."""
    return click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=help_text,
    )
