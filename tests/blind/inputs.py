"""A blind writer's inputs: what a candidate could know plus the examiner's prose, never the
accept lists, the synonym sets or the matcher (tests/blind/README.md).

`python -m tests.blind.inputs OUT` writes `OUT/scenarios/<scenario>.md` for every incident a
corpus covers (its page, what the telemetry showed, the true cause as the catalogue says it,
the mitigations, harmful moves and prevention items as the key describes them, the course
notes) and `OUT/exams/<item>.md` (the question, the rubric's descriptions, the course
answer). Keep OUT outside the repository while the writer works, and give the writer only
OUT: a writer who has read this repository is no longer blind.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from drills.library.paths import library_root
from drills.library.variant_spec import renderer_for
from simulator.spec.fileio import read_yaml

HERE = Path(__file__).parent
CAUSES = Path(__file__).parents[2] / "drills" / "judge" / "causes.yaml"


def _rendered(path: Path) -> Any:
    """A templated file with its variants' defaults in place, as a drill loads it."""
    return read_yaml(path, renderer_for(path))[0]


def _move(move: dict[str, Any]) -> str:
    """A mitigation as the key describes it, or as its action where it has no description."""
    if move.get("description"):
        return str(move["description"])
    args = " ".join(f"{k}={v}" for k, v in (move.get("args") or {}).items())
    return f"{move['action']} {args}".strip()


def _fault(key: dict[str, Any], shown: list[dict[str, Any]], causes: dict[str, Any]) -> list[str]:
    cause = causes.get(key["cause"], {})
    lines = [f"True cause: {cause.get('text', key['cause'])}", "", "What the telemetry showed:"]
    lines += [f"- {signal['description']}" for signal in shown if signal.get("description")]
    lines += ["", "Mitigations that work:"]
    return lines + [f"- {_move(m)}" for m in key.get("mitigations", [])]


def scenario_page(name: str, causes: dict[str, Any]) -> str:
    folder = library_root() / name
    scenario, key = _rendered(folder / "scenario.yaml"), _rendered(folder / "key.yaml")
    briefing = scenario.get("briefing", {})
    signals = {s["id"]: s for s in key.get("signals", [])}
    lines = [f"# {name}: {scenario['title']}", "", "## The page"]
    lines += [str(briefing.get("page", "")).strip(), "", f"Context: {briefing.get('context', '')}"]
    also = key.get("also") or []
    lines += ["", "## The incident" if not also else "## First fault"]
    # a later fault names its signals; the first fault's evidence is what none of them claims
    # (writers M and N were shown the second fault's signals under the first as well)
    claimed = {ref for fault in also for ref in fault.get("signals", [])}
    lines += _fault(key, [s for ref, s in signals.items() if ref not in claimed], causes)
    for second in also:
        lines += ["", "## Second fault"]
        lines += _fault(second, [signals[ref] for ref in second.get("signals", [])], causes)
    lines += ["", "Harmful moves (what a careless responder might do):"]
    lines += [f"- {h['description']}" for h in key.get("harmful", []) if h.get("description")]
    lines += ["", "Prevention items the examiner looks for (id: description):"]
    lines += [f"- {p['id']}: {p['description']}" for p in key.get("prevention", [])]
    notes = str(key.get("hidden_answer", "")).strip()
    return "\n".join([*lines, "", "Course notes on this incident:", notes, ""])


def exam_page(path: Path) -> str:
    exam = yaml.safe_load(path.read_text())
    lines = [f"# {exam['id']}: {exam['title']}", "", "## Question", exam["question"].strip()]
    lines += ["", "## Rubric (id: description)"]
    lines += [f"- {r['id']}: {r['description']}" for r in exam.get("rubric", [])]
    answer = str(exam.get("hidden_answer", "")).strip()
    return "\n".join([*lines, "", "## Course answer", answer, ""])


def write(out: Path) -> int:
    causes = yaml.safe_load(CAUSES.read_text())
    # the incidents every corpus since K covers
    names = sorted(p.stem for p in (HERE / "K" / "causes").glob("*.yaml"))
    (out / "scenarios").mkdir(parents=True, exist_ok=True)
    (out / "exams").mkdir(exist_ok=True)
    for name in names:
        (out / "scenarios" / f"{name}.md").write_text(scenario_page(name, causes))
    for path in sorted((library_root() / "exams").glob("*.yaml")):
        (out / "exams" / f"{path.stem}.md").write_text(exam_page(path))
    return len(names)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m tests.blind.inputs OUT (a folder outside the repo)")
    print(f"{write(Path(sys.argv[1]))} incidents and their exam items written")
