"""Runs that share their first actions share their simulation.

A batch of runs of one scenario (a ranking's trainees, a cohort's, a debrief's what-ifs, a
family's tips) adds different trainee actions to the same paused run. Two of them are one
run up to their first differing action, so that stretch need only be simulated once: the
batch is a tree of its actions (a trie), and the tree is simulated depth first, each node a
forked copy of its parent paused at the node's action (`os.fork`: a paused SimPy run holds
generators, which nothing but a fork can copy). Every run is still, bit for bit, the run
simulated whole: a paused run that takes an event at its pause point goes on exactly as a
fresh run with that event would (`Simulation.advance`, tests/test_incremental.py).

On a ranking's batch (15 to 17 runs forked from the page) the tree simulates about a third
fewer minutes than forking every run from the page (docs/layout.md); a batch of one run
gains nothing and is not run as a tree.

One process at a time: a node waits for each child it forks, so a tree takes one core (a
caller with more cores splits the root's branches into several trees, `split`)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from drills.runs.child import die_with_parent
from simulator.engine.loop import Simulation
from simulator.spec.timeline import TimelineEvent


@dataclass(frozen=True)
class Branch:
    """A run of the batch: its cache key and the events it adds to the paused run."""

    key: str
    events: tuple[TimelineEvent, ...]


Group = tuple[TimelineEvent | None, list[Branch]]


def groups(branches: list[Branch], depth: int) -> list[Group]:
    """The branches by their event at `depth` (None: they add none after it), in the order
    the events come; equal events (equal in every field) are one group. The branches that
    add no more come last: they run on to the end."""
    found: dict[str, Group] = {}
    for branch in branches:
        event = branch.events[depth] if len(branch.events) > depth else None
        name = "" if event is None else event.model_dump_json()
        found.setdefault(name, (event, []))[1].append(branch)
    # sorted is stable: groups at the same instant keep the order their branches came in
    return sorted(found.values(), key=lambda g: (g[0] is None, g[0].at_s if g[0] else 0.0))


def simulated_s(branches: list[Branch], start_s: float, end_s: float, depth: int = 0) -> float:
    """Seconds of simulated time the tree of `branches` takes from a run paused at
    `start_s` (forking each from there instead: len(branches) × (end_s - start_s))."""
    total, now = 0.0, start_s
    for event, members in groups(branches, depth):
        at = end_s if event is None else event.at_s
        total += at - now
        now = at
        if event is not None:
            total += simulated_s(members, at, end_s, depth + 1)
    return total


def run_tree(
    sim: Simulation,
    branches: list[Branch],
    finish: Callable[[Simulation, str], None],
    depth: int = 0,
) -> None:
    """In a process that owns `sim` (paused, each branch's first `depth` events added):
    every branch's run, simulated to its end and handed to `finish(sim, key)`. A branch
    whose child process failed is left out (its caller simulates what is missing)."""
    ordered = groups(branches, depth)
    for index, (event, members) in enumerate(ordered):
        if event is None:  # the events so far are the whole of these branches (one, as a
            sim.run()  # key names its timeline)
            for branch in members:
                finish(sim, branch.key)
            return
        sim.advance(event.at_s)  # everything before the event is shared by the group
        if index == len(ordered) - 1:  # nothing left to share this run with: go on in it
            sim.add_event(event)
            run_tree(sim, members, finish, depth + 1)
            return
        _in_child(partial(_descend, sim, event, members, finish, depth))


def _descend(
    sim: Simulation,
    event: TimelineEvent,
    members: list[Branch],
    finish: Callable[[Simulation, str], None],
    depth: int,
) -> None:
    sim.add_event(event)
    run_tree(sim, members, finish, depth + 1)


def split(branches: list[Branch], trees: int) -> Iterator[list[Branch]]:
    """The branches as up to `trees` trees, for that many cores: the root's groups dealt
    round-robin in time order, so each tree's work spreads over the incident alike."""
    root = groups(branches, 0)
    for first in range(min(max(1, trees), len(root))):
        yield [branch for _, members in root[first :: max(1, trees)] for branch in members]


def _in_child(work: Callable[[], None]) -> None:
    """`work` in a forked copy of this process, waited for. The child leaves by os._exit
    whatever happens: it must never return into its parent's code (a copy of the caller's
    stack), and an error in it costs only its own runs."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which coverage does not follow
        code = 1
        try:
            die_with_parent(signal.SIGKILL)  # a killed caller leaves nothing simulating
            work()
            code = 0
        finally:
            os._exit(code)
    os.waitpid(pid, 0)
