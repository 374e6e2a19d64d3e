"""The runs a score compares against: fault-free, no action, and the expert's path, each
simulated once per scenario and read by every score of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from drills.judge.measures import impact, signal_level
from drills.library.scenario import AnswerKey, LoadedScenario, Signal, Transcript
from drills.play.drill import Drill
from drills.play.transcript import load_transcript
from drills.runs.service import Runs
from simulator.spec.timeline import TimelineEvent
from simulator.telemetry.bundle import Telemetry

T = TypeVar("T")


def replay(scenario: LoadedScenario, transcript: Transcript, runs: Runs) -> Drill:
    drill = Drill(scenario, runs)
    for move in transcript.moves:
        if drill.concluded:
            break
        drill.play(move)
    return drill


class References:
    """The runs a score compares against: fault-free, no action, and the expert's path.
    Simulated on first use (or together with the trainee's runs, see `Runs.prefetch`)."""

    def __init__(self, scenario: LoadedScenario, expert: Drill) -> None:
        self.scenario = scenario
        self.expert = expert
        self._memo: dict[tuple[Any, ...], Any] = {}

    @property
    def clean(self) -> Telemetry:
        return self.expert.runs.get(self.scenario, [])

    @property
    def none(self) -> Telemetry:
        return self.expert.runs.get(self.scenario, self.scenario.timeline)

    @property
    def expert_tel(self) -> Telemetry:
        return self.expert.telemetry()

    def timelines(self) -> list[list[TimelineEvent]]:
        return [[], self.scenario.timeline, self.expert.timeline]

    def remember(self, memo: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """What every score of this scenario reads alike (a reference run's level, the
        expert's fixes), computed once."""
        if memo not in self._memo:
            self._memo[memo] = compute()
        found: T = self._memo[memo]
        return found

    def level(self, run: str, signal: Signal, window: tuple[float, float]) -> float:
        """A key signal's mean level in a reference run."""

        def compute() -> float:
            tel = {"clean": self.clean, "none": self.none, "expert": self.expert_tel}[run]
            return signal_level(tel, signal, window)

        return self.remember(("level", run, signal.model_dump_json(), window), compute)

    def expert_impact(
        self, key: AnswerKey, window: tuple[float, float], only: frozenset[str] | None = None
    ) -> float:
        memo = ("impact", key.model_dump_json(), tuple(sorted(only or [])), window)
        return self.remember(memo, lambda: impact(self.expert_tel, self, key, window, only))


def references(scenario: LoadedScenario, directory: Path, runs: Runs) -> References:
    expert = replay(scenario, load_transcript(directory / "transcripts" / "expert.yaml"), runs)
    return References(scenario, expert)
