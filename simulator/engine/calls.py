"""Calls scheduled on SimPy's own event heap, without an Event's bookkeeping.

A batch finishing or a batching timer firing is a function call due at a time. A SimPy
`Timeout` with a callback does that, but builds an event, a bound method and a callback
list per call, and the step that fires it checks failure states a call cannot have; on
the hot path of a run (one per batch) that is a third of the engine's time.

`call_at` pushes a `Call` onto the same heap with exactly the key a `Timeout` would get
(time `now + delay`, NORMAL priority, the environment's next event id), so it is ordered
with every other event exactly as before: runs are bit-for-bit those of the Timeout
version. The run loop (`Simulation._loop`) fires calls itself; `env.step` and `env.run`
fire them too, through the callback list SimPy expects, so tests that drive SimPy directly
work.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL


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
