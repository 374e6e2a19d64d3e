"""Runs paused at a drill's clock, simulated only as far as someone has looked.

A look at clock time c advances the run of the drill's timeline to c and shows its
telemetry so far; an action at c becomes an event of that paused run (everything before c
stays as it was), so acting costs the simulation of the minutes the trainee then watches,
not a re-run of the whole window. The view is the finished run's as of c
(tests/test_incremental.py), so a later replay of the transcript shows the same."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from drills.library.scenario import LoadedScenario
from simulator.engine.loop import Simulation
from simulator.spec.timeline import TimelineEvent

Key = Callable[[LoadedScenario, list[TimelineEvent]], str]
Start = Callable[[LoadedScenario, list[TimelineEvent]], Simulation]


class LiveRuns:
    def __init__(self, key: Key, start: Start, size: int = 2) -> None:
        self.size = size
        self._key = key
        self._start = start
        self._runs: OrderedDict[str, Simulation] = OrderedDict()

    def advanced(
        self, scenario: LoadedScenario, timeline: list[TimelineEvent], now: float
    ) -> Simulation:
        """The run of this timeline, simulated up to `now` and kept paused there."""
        key = self._key(scenario, timeline)
        sim = self._paused(scenario, timeline, now)
        sim.advance(now)
        self._runs[key] = sim
        self._runs.move_to_end(key)
        while len(self._runs) > self.size:
            self._runs.popitem(last=False)
        return sim

    def take(self, key: str) -> Simulation | None:
        """A paused run to finish (it leaves the live set)."""
        return self._runs.pop(key, None)

    def _paused(
        self, scenario: LoadedScenario, timeline: list[TimelineEvent], now: float
    ) -> Simulation:
        """This timeline's paused run, or the run of a shorter timeline still before the
        events it lacks (they are added), or a new run."""
        for cut in range(len(timeline), len(scenario.timeline) - 1, -1):
            key = self._key(scenario, timeline[:cut])
            sim = self._runs.get(key)
            missing = timeline[cut:]
            if sim is None or sim.frontier > now:
                continue
            if all(event.at_s >= sim.frontier for event in missing):
                del self._runs[key]
                for event in missing:
                    sim.add_event(event)
                return sim
        return self._start(scenario, timeline)
