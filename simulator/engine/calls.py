"""Calls scheduled on SimPy's own event heap, without an Event's bookkeeping.

A batch finishing or a batching timer firing is a function call due at a time. A SimPy
`Timeout` with a callback does that, but builds an event, a bound method and a callback
list per call, and the step that fires it checks failure states a call cannot have; on
the hot path of a run (one per batch) that is a third of the engine's time.

`call_at` pushes a `Call` onto the same heap with exactly the key a `Timeout` would get
(time `now + delay`, NORMAL priority, the environment's next event id), so it is ordered
with every other event exactly as before: runs are bit-for-bit those of the Timeout
version. The run loop (`Simulation._loop`) fires calls itself (`fire_calls`); `env.step`
and `env.run` fire them too, through the callback list SimPy expects, so tests that drive
SimPy directly work.

This is the one module that touches SimPy's private state (the event heap `_queue`, the
clock `_now`, the event id counter `_eid`): SimPy is pinned to the minor versions in
`TESTED_SIMPY`, and `check_simpy` (run on import, and by tests/test_engine.py) fails loudly
on any other, or if those attributes are gone.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.events import NORMAL

TESTED_SIMPY = ("4.1",)  # minor versions whose private event heap this module was checked on


class SimpyMismatch(RuntimeError):
    """An installed SimPy this engine was not checked against."""


def check_simpy(version: str | None = None) -> None:
    version = version or simpy.__version__
    if ".".join(version.split(".")[:2]) not in TESTED_SIMPY:
        raise SimpyMismatch(
            f"simpy {version} is installed; the engine schedules calls on SimPy's private "
            f"event heap and was checked on simpy {', '.join(TESTED_SIMPY)}.x only "
            "(pin it, or check simulator/engine/calls.py against the new version)"
        )
    env = simpy.Environment()
    missing = [a for a in ("_queue", "_now", "_eid") if not hasattr(env, a)]
    if missing:
        raise SimpyMismatch(f"simpy {version} has no Environment.{', '.join(missing)}")


check_simpy()


class Call:
    """`fn(arg)`, due on the event heap. Quacks as a succeeded SimPy event to `env.step`."""

    __slots__ = ("arg", "fn")

    _ok = True
    _value = None

    def __init__(self, fn: Callable[[Any], None], arg: Any) -> None:
        self.fn = fn
        self.arg = arg

    # what env.step reads and clears; made on demand, as the run loop never needs it
    @property
    def callbacks(self) -> list[Callable[[Call], None]]:
        return [_fire]

    @callbacks.setter
    def callbacks(self, _value: object) -> None:
        pass


def _fire(call: Call) -> None:
    call.fn(call.arg)


def call_at(env: simpy.Environment, delay: float, fn: Callable[[Any], None], arg: Any) -> None:
    """Call fn(arg) `delay` seconds from now, ordered as a Timeout(delay) made now would be."""
    heap: list[Any] = env._queue  # SimPy's (time, priority, id, event) heap
    heappush(heap, (env._now + delay, NORMAL, next(env._eid), Call(fn, arg)))


def call_until(env: simpy.Environment, end: float, fn: Callable[[Any], None], arg: Any) -> None:
    """`call_at(env, end - now, fn, arg)`, spelt out for the hot path (one per batch)."""
    heap: list[Any] = env._queue
    now = env._now
    heappush(heap, (now + (end - now), NORMAL, next(env._eid), Call(fn, arg)))


def event_heap(env: simpy.Environment) -> list[Any]:
    """SimPy's event heap of (time, priority, id, event), for the run loop to peek at."""
    heap: list[Any] = env._queue
    return heap


def fire_calls(
    env: simpy.Environment, t_event: float, event: Call, until: float, stop: float, late: list[Any]
) -> None:
    """Fire calls from the head of the heap, back to back, as env.step would run them minus
    its checks, until the next event is not a call, comes after `until` (the next arrival)
    or at `stop`, or a call has added a late arrival (the loop looks again)."""
    heap: list[Any] = env._queue
    pop = heappop
    call: Any = event
    while True:
        pop(heap)
        env._now = t_event
        call.fn(call.arg)
        if late or not heap:
            return
        t_event, _, _, call = heap[0]
        if t_event > until or t_event >= stop or call.__class__ is not Call:
            return
