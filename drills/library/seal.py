"""A sealed scenario pack for interviews: what the candidate may hold before and during the
drill, and nothing that names the answer.

The pack holds the briefing (the page, severity, context, the clock and what moves cost),
the fleet as its operators know it before the incident, the dashboard panels and the
telemetry schema. It holds no answer key, no transcripts, no hidden answer and no timeline
(the injected faults and their parameters are the answer): the drill itself is played on
the examiner's console (`speechdrill serve`), where the scenario and its key stay."""

from __future__ import annotations

from pathlib import Path

import yaml

from drills.library.scenario import LoadedScenario
from drills.play.panels import PANELS
from simulator.telemetry.schema import markdown as schema_markdown


def seal(scenario: LoadedScenario, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    spec = scenario.spec
    clock = spec.clock
    briefing = "\n".join(
        [
            f"# {spec.title}",
            "",
            f"Severity: {spec.briefing.severity} · difficulty: {spec.difficulty}",
            "",
            "## The page",
            "",
            spec.briefing.page.strip(),
            "",
            spec.briefing.context.strip(),
            "",
            "## The drill",
            "",
            f"You have at most {scenario.time_box_min:g} minutes of incident clock. A dashboard "
            f"panel costs {clock.look_cost_s / 60:g} minute(s), a query "
            f"{clock.query_cost_s / 60:g}, an action {clock.act_cost_s / 60:g} (every action "
            "is re-simulated from the clock on). Conclude with the cause in your own words, "
            "the mitigations and what would prevent it. Your examiner gives you a join link.",
            "",
            "## Dashboard panels",
            "",
            *(f"- `{name}`: {panel.title}" for name, panel in sorted(PANELS.items())),
            "",
        ]
    )
    written = {
        "briefing.md": briefing,
        "fleet.yaml": yaml.safe_dump(
            scenario.fleet.model_dump(mode="json", exclude_none=True), sort_keys=False
        ),
        "telemetry.md": schema_markdown(),
    }
    paths = []
    for name, text in written.items():
        path = out / name
        path.write_text(text)
        paths.append(path)
    return paths
