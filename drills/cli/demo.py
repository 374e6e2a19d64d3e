"""`make demo`: the main job end to end — a drill replayed, scored and reported.

Replays the expert and the naive transcripts of the GPU-cost incident against its answer
key (each re-simulated with the moves it made), prints both scores side by side and writes
the after-action reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from drills.library.paths import library_root
from drills.library.scenario import load_scenario
from drills.runs.service import Runs
from drills.usecases import replay_transcript, write_report
from reports.tables import render_table

SCENARIO = "gpu-cost-no-traffic"
OUT = Path("out") / "demo"


def main() -> None:
    scenario = load_scenario(library_root() / SCENARIO / "scenario.yaml")
    print(f"Scenario: {scenario.spec.title}\n\n{scenario.spec.briefing.page}\n")
    print("Simulating the incident (no action, the expert's path) ...", flush=True)
    runs = Runs()
    results = {}
    debriefs: dict[str, dict[str, Any]] = {}
    for name in ("expert", "naive"):
        done = replay_transcript(SCENARIO, Path(name), runs)
        results[name] = done.assessed.score
        written, debriefs[name] = write_report(done.assessed, done.transcript.trainee, OUT / name)
        print(f"  {name}: wrote {', '.join(str(p) for p in written)}")
    expert, naive = results["expert"], results["naive"]
    rows = [
        [e.component, f"{e.points:.1f}", f"{n.points:.1f}", f"{e.max_points:g}"]
        for e, n in zip(expert.breakdown, naive.breakdown, strict=True)
    ]
    rows.append(
        [
            "penalties",
            f"-{sum(p['points'] for p in expert.penalties):g}",
            f"-{sum(p['points'] for p in naive.penalties):g}",
            "",
        ]
    )
    rows.append(["SCORE", f"{expert.score:g}", f"{naive.score:g}", "100"])
    print()
    print(render_table(["component", "expert", "naive", "max"], rows))
    print(
        f"\nExcess spend after the page: expert ${expert.cost_burn:.2f}, naive "
        f"${naive.cost_burn:.2f}; diagnosis: expert {expert.diagnosis_correct}, naive "
        f"{naive.diagnosis_correct}"
    )
    for decision in debriefs["naive"]["decisions"][:1]:
        print(
            f"Debrief: had the naive trainee done {'; '.join(decision['instead'])} at minute "
            f"{decision['minute']:g} (instead of {decision['your_move']}): excess spend "
            f"${decision['then']['cost_burn_usd']:.2f} instead of "
            f"${decision['yours']['cost_burn_usd']:.2f}, {decision['then']['incident_left_pct']:g}%"
            f" of the incident left instead of {decision['yours']['incident_left_pct']:g}%."
        )
    print(f"\nOpen {OUT / 'naive' / 'report.html'} for the after-action report.")
    print(
        "Replay your own transcript: .venv/bin/speechdrill drill replay "
        f"{SCENARIO} path/to/transcript.yaml --out out/mine"
    )


if __name__ == "__main__":
    main()
