"""The shared team drill: one incident, one fleet, one timeline of actions, every member's
moves on it, and the team's channel.

The clocks (docs/team.md says why this and not a facilitator-paced real-time clock):

- each member has their own clock; a look or query is played at the member's clock and
  costs the member its time, so investigators working side by side read more of the
  incident in the same minutes, as a real team does;
- the team's clock is the latest of them: the incident's present. An action is taken at
  the team's clock (the fleet changes in everyone's present) and is re-simulated for all;
  every member's clock is brought up to it, and the actor's moves on by the action's cost.
  So every look played before an action is at or before it, and every look after it at or
  after it: the run with all the team's actions answers every look exactly as it showed;
- the channel lives at the team's clock: a post is stamped with it. Posting is free,
  except a stakeholder update, which costs its writer the plan's `update_cost_s` from the
  present (writing to stakeholders takes a minute); injects are the facilitator's and free.

Everything is derived from the log's entries in order, so replaying the log rebuilds the
same clocks, moves and channel (a restarted console; a recorded team transcript)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from drills.library.scenario import LoadedScenario, Move
from drills.play.actions import ActionError
from drills.play.drill import Drill, MoveRecord
from drills.play.panels import PANELS
from drills.runs.service import Runs
from drills.team.model import (
    DECLARATIONS,
    FACILITATOR,
    ROLE_TITLES,
    Assign,
    Entry,
    Finding,
    Inject,
    Post,
    TeamPlan,
    TeamSpec,
    Update,
)


class TeamRefused(Exception):
    """An entry that cannot be played: nothing changed. `where` is the field at fault ('' for
    the drill itself: ended, out of time, not this member's role)."""

    def __init__(self, where: str, why: str, closed: bool = False) -> None:
        super().__init__(f"{where}: {why}" if where else why)
        self.where = where
        self.why = why
        self.closed = closed


@dataclass
class Posted:
    """A post as the channel holds it."""

    seq: int
    by: str
    post: Post
    clock_min: float  # the team's clock when it was posted
    after_moves: int  # how many moves were played before it (its place among them)


@dataclass
class TeamDrill:
    spec: TeamSpec
    plan: TeamPlan
    drill: Drill
    clocks: dict[str, float] = field(default_factory=dict)
    movers: list[str] = field(default_factory=list)  # who played each of drill.moves
    channel: list[Posted] = field(default_factory=list)
    ended: str = ""  # why the facilitator ended it ("" while it runs)
    boxed_before_conclusion: bool = False  # the time box ran out before the team concluded

    @classmethod
    def new(
        cls,
        spec: TeamSpec,
        scenario: LoadedScenario,
        plan: TeamPlan,
        runs: Runs,
        live: bool = False,
    ) -> TeamDrill:
        team = cls(spec, plan, Drill(scenario, runs, live=live))
        team.clocks = {m.name: 0.0 for m in spec.members}
        return team

    # --- what the drill stands at -------------------------------------------------------

    @property
    def scenario(self) -> LoadedScenario:
        return self.drill.scenario

    @property
    def time_box_min(self) -> float:
        box = self.scenario.time_box_min
        return min(box, self.spec.time_box_min) if self.spec.time_box_min else box

    @property
    def clock_min(self) -> float:
        """The team's clock: the latest of the members'."""
        return max(self.clocks.values())

    @property
    def concluded(self) -> bool:
        return self.drill.concluded

    @property
    def closed(self) -> bool:
        """No more entries at all (the facilitator ended it)."""
        return bool(self.ended)

    @property
    def boxed(self) -> bool:
        return self.clock_min >= self.time_box_min

    def moves_of(self, name: str) -> list[MoveRecord]:
        return [m for m, who in zip(self.drill.moves, self.movers, strict=True) if who == name]

    def mover(self, record: MoveRecord) -> str:
        return self.movers[record.index]

    def posts(self, *kinds: str) -> list[Posted]:
        return [p for p in self.channel if not kinds or p.post.kind in kinds]

    def alerts(self) -> list[Posted]:
        """The second alerts injected so far, in order: an assignment names one by its
        place here (1 for the first)."""
        return [p for p in self.channel if isinstance(p.post, Inject) and p.post.kind == "alert"]

    # --- playing an entry ---------------------------------------------------------------

    def apply(self, entry: Entry) -> MoveRecord | Posted | None:
        """Play one entry of the log; one that cannot be played changes nothing."""
        self.check(entry)
        if entry.end is not None:
            self.ended = entry.end
            return None
        if entry.post is not None:
            return self._post(entry.by, entry.post)
        assert entry.move is not None
        return self._move(entry.by, entry.move)

    def check(self, entry: Entry) -> None:
        """Whether the entry may be played as the drill stands (TeamRefused if not)."""
        if self.closed:
            raise TeamRefused("", f"this team drill has ended: {self.ended}", closed=True)
        if entry.by == FACILITATOR:
            if entry.move is not None or (
                entry.post is not None and not isinstance(entry.post, Inject)
            ):
                raise TeamRefused("by", "the facilitator injects and ends; members play")
            return
        roles = self.spec.roles_of(entry.by)
        if not roles:
            raise TeamRefused("by", f"not a member of {self.spec.team}")
        if entry.post is not None:
            self._check_post(entry.by, roles, entry.post)
        elif entry.move is not None:
            self._check_move(roles, entry.move)
        else:
            raise TeamRefused("end", "only the facilitator ends a team drill")

    def _check_move(self, roles: list[str], move: Move) -> None:
        if self.concluded:
            raise TeamRefused("", "the incident is closed: the commander concluded it")
        if move.at_min is not None:
            raise TeamRefused("at_min", "a team member's moves take their own clock")
        if move.conclude is not None:
            if "commander" not in roles:
                raise TeamRefused("", "only the incident commander closes the incident")
            return
        if self.boxed:
            raise TeamRefused(
                "",
                f"the time box ({self.time_box_min:g} minutes) is over: the commander hands "
                "over or concludes",
            )
        if move.look is not None and move.look not in PANELS:
            raise TeamRefused("look", f"unknown panel {move.look!r}; panels: {sorted(PANELS)}")

    def _check_post(self, by: str, roles: list[str], post: Post) -> None:
        kind = post.kind
        if kind in ("question", "alert"):
            raise TeamRefused("post.kind", "questions and alerts are the facilitator's injects")
        if kind in DECLARATIONS and "commander" not in roles:
            raise TeamRefused("", f"only the incident commander posts a {kind}")
        if kind == "update" and "comms" not in roles:
            raise TeamRefused("", f"only the {ROLE_TITLES['comms']} role posts stakeholder updates")
        if isinstance(post, Assign) and not self.spec.roles_of(post.owner):
            names = [m.name for m in self.spec.members]
            raise TeamRefused("post.owner", f"a member of the team: one of {names}")
        if isinstance(post, Assign) and post.alert is not None:
            injected = len(self.alerts())
            if post.alert > injected:
                raise TeamRefused(
                    "post.alert",
                    f"the number of an alert injected so far (1 for the first; {injected} so far)",
                )
        if isinstance(post, Finding):
            index = post.move - 1
            moves = self.drill.moves
            if not 0 <= index < len(moves) or self.movers[index] != by:
                raise TeamRefused("post.move", "the number of one of your own looks or queries")
            if moves[index].kind not in ("look", "query"):
                raise TeamRefused("post.move", "a look or a query (a result to share)")

    def _move(self, by: str, move: Move) -> MoveRecord:
        drill = self.drill
        present = self.clock_min
        acting = move.act is not None or move.conclude is not None
        drill.clock_min = present if acting else self.clocks[by]
        try:
            record = drill.play(move)
        except ActionError as exc:
            raise TeamRefused(f"act.{exc.path}", exc.expected) from None
        finally:
            after = drill.clock_min
            drill.clock_min = present
        self.movers.append(by)
        if move.conclude is not None:
            self.boxed_before_conclusion = present >= self.time_box_min
        elif move.act is not None:
            self.clocks = {name: max(clock, present) for name, clock in self.clocks.items()}
        self.clocks[by] = max(self.clocks[by], after)
        drill.clock_min = self.clock_min
        return record

    def _post(self, by: str, post: Post) -> Posted:
        posted = Posted(len(self.channel), by, post, self.clock_min, len(self.drill.moves))
        self.channel.append(posted)
        if isinstance(post, Update):
            self.clocks[by] = posted.clock_min + self.plan.comms.update_cost_s / 60.0
            self.drill.clock_min = self.clock_min
        return posted


def replay(
    spec: TeamSpec,
    scenario: LoadedScenario,
    plan: TeamPlan,
    entries: list[dict[str, Any]] | list[Entry],
    runs: Runs,
    live: bool = False,
) -> tuple[TeamDrill, list[tuple[int, str, str]]]:
    """A team drill rebuilt entry by entry, with the entries that could not be replayed
    (their number, the field at fault and why; only a tampered log or a hand-written
    transcript holds one)."""
    team = TeamDrill.new(spec, scenario, plan, runs, live)
    problems = []
    for seq, raw in enumerate(entries):
        try:
            entry = raw if isinstance(raw, Entry) else Entry.model_validate(raw)
            team.apply(entry)
        except TeamRefused as exc:
            problems.append((seq, exc.where, exc.why))
        except ValidationError as exc:
            first = exc.errors()[0]
            problems.append((seq, ".".join(str(p) for p in first["loc"]), first["msg"]))
    return team, problems
