"""Can a scenario's author trust its key? The causal check (each key signal with a focus
sits ≥ 3σ off the no-fault run, in the faulty run) and the scenario's own transcripts
replayed against their score bands — so a fault changed under a stale key fails here,
before any trainee meets it."""

from __future__ import annotations

from dataclasses import dataclass

from drills.judge import alerts
from drills.judge.scoring import references, replay, score
from drills.judge.signals import deviation_sigma, series
from drills.library.scenario import LoadedScenario, load_key
from drills.play.transcript import load_transcript
from drills.runs.service import Runs

MIN_SIGMA = 3.0
DEFAULT_BANDS = {"expert": (85.0, 100.0), "naive": (0.0, 40.0)}


@dataclass
class Check:
    what: str  # "signal", "rule" or "transcript"
    name: str
    value: float
    expected: str
    ok: bool


def causal_checks(scenario: LoadedScenario, runs: Runs) -> list[Check]:
    key = load_key(scenario.directory / "key.yaml", scenario)
    # side by side; the faulty run finishes the scenario's run paused at the page, which
    # the transcripts' runs then fork from (simulated alone it would pay for the page twice)
    runs.prefetch(scenario, [scenario.timeline, []])
    faulty = runs.get(scenario, scenario.timeline)
    clean = runs.get(scenario, [])
    out = []
    for signal in key.signals:
        if signal.focus:
            sigma = deviation_sigma(series(faulty, signal), series(clean, signal))
            out.append(
                Check("signal", signal.id, round(sigma, 1), f"≥ {MIN_SIGMA:g}σ", sigma >= MIN_SIGMA)
            )
    return out


def rule_checks(scenario: LoadedScenario, runs: Runs) -> list[Check]:
    """Each reference alert rule of the key pages by the page and never on the no-fault run
    (a fault no sane alert can see is a scenario bug). Needs promtool; none without it."""
    key = load_key(scenario.directory / "key.yaml", scenario)
    items = [p for p in key.prevention if p.rule is not None]
    if not items or not alerts.available():
        return []
    verdicts = alerts.judge_rules(
        scenario, key, [p.rule for p in items if p.rule is not None], runs
    )
    out = []
    for item, verdict in zip(items, verdicts, strict=True):
        first = verdict.first_min
        value = float(first - verdict.onset_min) if first is not None else float("nan")
        out.append(
            Check(
                "rule",
                item.id,
                value,
                "fires (min after fault) by the page; quiet on no-fault",
                verdict.grade == "early",
            )
        )
    return out


def transcript_checks(scenario: LoadedScenario, runs: Runs) -> list[Check]:
    directory = scenario.directory
    key = load_key(directory / "key.yaml", scenario)
    refs = references(scenario, directory, runs)
    out = []
    for path in sorted((directory / "transcripts").glob("*.yaml")):
        transcript = load_transcript(path, scenario)
        band = transcript.expect or DEFAULT_BANDS.get(path.stem)
        if band is None:
            continue
        result = score(replay(scenario, transcript, runs), key, refs)
        low, high = band
        out.append(
            Check(
                "transcript",
                path.stem,
                result.score,
                f"{low:g}–{high:g}",
                low <= result.score <= high,
            )
        )
    return out


def verify(scenario: LoadedScenario, runs: Runs) -> list[Check]:
    return (
        causal_checks(scenario, runs)
        + rule_checks(scenario, runs)
        + transcript_checks(scenario, runs)
    )
