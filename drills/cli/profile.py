"""`speechdrill profile`: measure the reference models into latency profiles."""

from __future__ import annotations

from pathlib import Path

import click

from simulator.errors import InputError


def register(cli: click.Group) -> None:
    cli.add_command(profile)


QUICK_BATCHES, QUICK_REPEATS = [1, 2], 1


@click.command()
@click.option(
    "--models",
    "names",
    multiple=True,
    help="Profile names to measure (default: all): asr-streaming, asr-batch, asr-batch-nokv, "
    "asr-batch-beam4, asr-batch-beam8, asr-batch-int8, tts, tts-large, embedding, classifier, "
    "preprocess.",
)
@click.option("--quick", is_flag=True, help="A small grid with one repeat (a smoke test).")
@click.option(
    "--roofline/--no-roofline",
    default=True,
    show_default=True,
    help="Also write roofline-estimate rows for the GPU kinds not present.",
)
@click.option("--threads", type=click.IntRange(1, 256), default=2, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("profiles"),
    show_default=True,
    help="Folder for the profiles.",
)
def profile(names: tuple[str, ...], quick: bool, roofline: bool, threads: int, out: Path) -> None:
    """Measure latency over batch size × input length (needs the `backend` extra: torch)."""
    try:
        from real_backend.profiler import FAMILIES, GPUS, measure_family
        from real_backend.profiler import roofline as estimate
    except ImportError as exc:
        raise InputError(
            "speechdrill profile",
            "backend",
            f"needs torch ({exc}); install the extra: pip install 'speechdrill[backend]'",
        ) from None
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise InputError("--models", unknown[0], f"unknown; expected one of {sorted(FAMILIES)}")
    out.mkdir(parents=True, exist_ok=True)
    for name in names or tuple(FAMILIES):
        spec = FAMILIES[name]
        lengths = list(spec.lengths[:2]) if quick else None
        batches = QUICK_BATCHES if quick else None
        measured = measure_family(
            name, batches, lengths, repeats=QUICK_REPEATS if quick else 3, threads=threads
        )
        path = out / f"measured-{name}@cpu.json"
        path.write_text(measured.model_dump_json(indent=1) + "\n")
        click.echo(
            f"{name}@cpu: {measured.parameters:,} parameters, spread "
            f"{measured.spread_cv:.1%}, fit {measured.fit_error or '-'} -> {path}"
        )
        if roofline and spec.on_gpu:
            for row in estimate(name, None, batches, lengths):
                target = out / f"roofline-{name}@{row.device}.json"
                target.write_text(row.model_dump_json(indent=1) + "\n")
            click.echo(f"  roofline estimates for {', '.join(GPUS)} written")
