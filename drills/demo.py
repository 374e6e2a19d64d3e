"""`make demo`: the main job, end to end, on a fresh checkout.

Until the drill engine lands, the demo simulates the example fleet (writing its telemetry
as Parquet) and checks the simulator against queueing theory.
"""

from __future__ import annotations

import sys
from pathlib import Path

from drills.cli import main as cli_main


def run(args: list[str]) -> int:
    print(f"\n$ speechdrill {' '.join(args)}", flush=True)
    try:
        cli_main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def main() -> None:
    out = Path("out") / "demo"
    steps = [
        ["simulate", "example", "--duration", "600", "--seed", "1", "--out", str(out)],
        [
            "validate",
            "analytic",
            "--case",
            "mmc:lam=3.2,mu=1,c=4",
            "--case",
            "mmck:lam=5,mu=1,c=4,k=8",
        ],
    ]
    for args in steps:
        code = run(args)
        if code:
            sys.exit(code)
    print(f"\nTelemetry tables written to {out}/ (requests, batches, metrics, events).")


if __name__ == "__main__":
    main()
