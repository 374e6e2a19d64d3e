"""Scoring a team's first hour the way an experienced incident commander would.

Points (100):

- **the drill** (50): the team's combined drill (every member's moves, in the order they
  were played, on the one fleet) scored as an individual's is — diagnosis, evidence,
  mitigation, recovery, prevention, penalties — and halved; each component is credited to
  whoever earned it (the signals to whoever first read them, the fix to whoever made it,
  the diagnosis and prevention to the commander who concluded);
- **the commander** (20): severity declared and right for the page (4), workstreams
  assigned to the investigators before the first fix (4), each action covered by a logged
  decision with a reason (5), a handover if the time box ran out (3), each injected second
  alert acknowledged with an owner within the plan's minutes (4);
- **communications** (20): the first update within the plan's minutes of the page (3);
  each update's impact, scope, current action and next update time (7); the cadence kept,
  every promise of a next update honoured and no gap past the plan's cadence (3); no
  cause announced before the team had the evidence for it (3); the stakeholders'
  questions answered (2); a resolution update naming the fix and the follow-up (2);
- **coordination** (10): two members doing the same look or query back to back is waste
  (-2 each); a member's action contradicting another's with no decision logged between
  them is harm (the component is lost, and a penalty).

A role that did nothing earns nothing of its component: no condition is met vacuously
(a commander who declared nothing earns no "handover not needed"). A team passes with
PASS_MARK points, a third of each role's component and some diagnosis earned: a team that
investigates well and never communicates cannot pass, nor one that rolls back, communicates
well and concludes "we did not determine the cause" (78 points, passed, before)."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

from drills.library.scenario import AnswerKey
from drills.play.drill import MoveRecord
from drills.team.drill import Posted, TeamDrill
from drills.team.judging import EVIDENCE_FOR_A_CAUSE, Assessed, TeamEvidence, fixing_moves
from drills.team.model import DECLARATIONS, Assign, Decision, Handover, Inject, SeverityPost, Update
from drills.team.rubric import (
    FOLLOW_UP,
    HANDOVER_NEXT,
    HANDOVER_STATE,
    a_reason,
    answers,
    elements,
    names_action,
    names_fix,
    promised_at,
    stated_cause,
)

DRILL_SHARE = 0.5  # the individual score's 100 points count for 50 of the team's
COMMANDER = {
    "severity": 4.0,
    "workstreams": 4.0,
    "decisions": 5.0,
    "handover": 3.0,
    "second alert": 4.0,
}
COMMS = {
    "first update": 3.0,
    "update elements": 7.0,
    "cadence": 3.0,
    "no cause before evidence": 3.0,
    "questions answered": 2.0,
    "resolution update": 2.0,
}
COORDINATION = 10.0
WASTE_POINTS = 2.0  # per pair of the same look or query back to back
CONTRADICTION_PENALTY = 10.0  # per action contradicting a team-mate's, undecided
# per update announcing a cause the team had no evidence for (two at most): misleading the
# stakeholders is harm, like contradicting a team-mate's action
UNSUPPORTED_CAUSE_PENALTY = 10.0
PASS_MARK = 60.0
ROLE_FLOOR = 1.0 / 3.0  # of each role's component, to pass
HANDOVER_WINDOW_MIN = 5.0  # a handover is posted this close to the time box, or after
SEVERITY_RANK = {"sev1": 1, "sev2": 2, "sev3": 3}


@dataclass
class Part:
    """One thing a role component is judged on."""

    name: str
    points: float
    max_points: float
    why: str
    earned: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)


@dataclass
class Component:
    component: str
    points: float
    max_points: float
    why: str
    evidence: list[str] = field(default_factory=list)  # what earned it
    missed: list[str] = field(default_factory=list)
    by: list[str] = field(default_factory=list)  # the members credited with it
    parts: list[Part] = field(default_factory=list)


@dataclass
class TeamScore:
    score: float
    passed: bool
    verdict: str
    components: list[Component]
    penalties: list[dict[str, Any]]
    drill_score: float  # the combined drill's individual score (0-100)
    credit: dict[str, list[str]]  # what each member earned
    first_update_min: float | None
    time_to_mitigate_min: float | None

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.component == name)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_team(team: TeamDrill, assessed: Assessed, evidence: TeamEvidence) -> TeamScore:
    """The team's score from its drill's individual score (`assessed`, of `team.drill`) and
    the evidence the team read (`evidence`, of the same drill)."""
    key = assessed.key
    fixes = fixing_moves(team.drill, key)
    components = drill_components(team, assessed, evidence, fixes)
    penalties = [
        {**p, "points": round(p["points"] * DRILL_SHARE, 2), "by": _by(team, p.get("move"))}
        for p in assessed.score.penalties
    ]
    commander = commander_component(team, fixes)
    comms, unsupported = comms_component(team, key, evidence, fixes)
    coordination, contradictions = coordination_component(team)
    components += [commander, comms, coordination]
    penalties += unsupported[:2] + contradictions
    drill_points = DRILL_SHARE * assessed.score.score
    total = drill_points + sum(c.points for c in components[-3:])
    total -= sum(p["points"] for p in unsupported[:2] + contradictions)
    total = round(min(100.0, max(0.0, total)), 1)
    diagnosis = next((c for c in components if c.component == "diagnosis"), None)
    passed, verdict = _verdict(
        total, commander, comms, diagnosed=bool(diagnosis and diagnosis.points)
    )
    updates = team.posts("update")
    return TeamScore(
        score=total,
        passed=passed,
        verdict=verdict,
        components=components,
        penalties=penalties,
        drill_score=assessed.score.score,
        credit=_credit(team, components),
        first_update_min=round(updates[0].clock_min, 1) if updates else None,
        time_to_mitigate_min=assessed.score.time_to_mitigate_min,
    )


def _verdict(total: float, *roles: Component, diagnosed: bool) -> tuple[bool, str]:
    """Passed with PASS_MARK points, a third of each role's component and a diagnosis
    earned (a cause named and backed by what the team read: a team that fixed what it never
    diagnosed, however well it communicated, has not shown what the drill is there to
    show); the verdict names every reason it was not."""
    reasons = []
    if total < PASS_MARK:
        reasons.append(f"{total:g} points, {PASS_MARK:g} to pass")
    if not diagnosed:
        reasons.append("no diagnosis earned: the cause was never named with its evidence")
    short = [c for c in roles if c.points < ROLE_FLOOR * c.max_points]
    if short:
        names = ", ".join(f"{c.component} {c.points:.1f} of {c.max_points:g}" for c in short)
        reasons.append(f"each role earns a third of its part ({names})")
    if reasons:
        return False, "not passed: " + "; ".join(reasons)
    return True, f"passed: {total:g} points, every role did its part"


def _by(team: TeamDrill, move: int | None) -> str:
    return team.movers[move] if move is not None and 0 <= move < len(team.movers) else ""


def _credit(team: TeamDrill, components: list[Component]) -> dict[str, list[str]]:
    credit: dict[str, list[str]] = {m.name: [] for m in team.spec.members}
    for c in components:
        for name in c.by:
            if c.points > 0:
                credit[name].append(f"{c.component} ({c.points:.1f} of {c.max_points:g})")
    return credit


# --- the drill, credited ---------------------------------------------------------------


def drill_components(
    team: TeamDrill, assessed: Assessed, evidence: TeamEvidence, fixes: list[tuple[int, str]]
) -> list[Component]:
    concluder = [team.movers[m.index] for m in team.drill.moves if m.kind == "conclude"]
    fixers = list(dict.fromkeys(team.movers[index] for index, _ in fixes))
    readers: dict[str, list[str]] = {}
    for signal, index in evidence.first_read().items():
        readers.setdefault(team.movers[index], []).append(signal)
    by = {
        "diagnosis": concluder,
        "prevention": concluder,
        "mitigation": fixers,
        "recovery": fixers,
        "evidence": list(readers),
    }
    out = []
    for line in assessed.score.breakdown:
        earned = list(line.evidence)
        if line.component == "evidence":
            earned += [f"{who} read {', '.join(signals)} first" for who, signals in readers.items()]
        if line.component == "mitigation":
            earned += [f"{team.movers[index]} made the fix ({what})" for index, what in fixes]
        out.append(
            Component(
                line.component,
                round(line.points * DRILL_SHARE, 2),
                line.max_points * DRILL_SHARE,
                line.why,
                earned,
                list(line.missed),
                by.get(line.component, []),
            )
        )
    return out


# --- the commander ---------------------------------------------------------------------


def _total(name: str, parts: list[Part], by: list[str], max_points: float) -> Component:
    points = round(sum(p.points for p in parts), 2)
    why = "; ".join(f"{p.name} {p.points:.1f}/{p.max_points:g}" for p in parts)
    earned = [f"{p.name}: {e}" for p in parts for e in p.earned]
    missed = [f"{p.name}: {m}" for p in parts for m in p.missed]
    return Component(name, points, max_points, why, earned, missed, by, parts)


def _nothing(name: str, max_points: float, by: list[str], why: str) -> Component:
    return Component(name, 0.0, max_points, why, [], [why], by, [])


def commander_component(team: TeamDrill, fixes: list[tuple[int, str]]) -> Component:
    ic = team.spec.holder("commander")
    mine = [p for p in team.channel if p.by == ic and p.post.kind in DECLARATIONS]
    top = sum(COMMANDER.values())
    if not mine:
        why = "the commander declared nothing: no severity, workstream, decision or handover"
        return _nothing("commander", top, [ic], why)
    acts = [m for m in team.drill.moves if m.kind == "act"]
    parts = [
        _severity(team, mine, acts),
        _workstreams(team, mine, fixes, acts),
        _decisions(mine, acts),
        _handover(team, mine),
        _second_alerts(team, mine),
    ]
    return _total("commander", parts, [ic], top)


def _severity(team: TeamDrill, mine: list[Posted], acts: list[MoveRecord]) -> Part:
    top, right = COMMANDER["severity"], team.plan.severity
    declared = [p for p in mine if isinstance(p.post, SeverityPost)]
    because = f"the page is {right}" + (
        f": {team.plan.severity_why}" if team.plan.severity_why else ""
    )
    if not declared:
        return Part("severity", 0.0, top, "never declared", [], [f"declare a severity ({because})"])
    first = declared[0]
    assert isinstance(first.post, SeverityPost)
    off = abs(SEVERITY_RANK[first.post.level] - SEVERITY_RANK[right])
    share = {0: 1.0, 1: 0.5}.get(off, 0.0)
    said = f"{first.post.level} at minute {first.clock_min:.0f}"
    notes = []
    if acts and first.after_moves > acts[0].index:
        share *= 0.5
        notes.append("declared only after the team had started acting")
    if off and any(isinstance(p.post, SeverityPost) and p.post.level == right for p in declared):
        share = max(share, 0.5)
        notes.append(f"corrected to {right} later")
    points = top * share
    why = f"declared {said}; {because}" + ("; " + "; ".join(notes) if notes else "")
    earned = [why] if points > 0 else []
    missed = [] if share == 1.0 else [why]
    return Part("severity", points, top, why, earned, missed)


def _workstreams(
    team: TeamDrill, mine: list[Posted], fixes: list[tuple[int, str]], acts: list[MoveRecord]
) -> Part:
    top = COMMANDER["workstreams"]
    first_fix = min((index for index, _ in fixes), default=None)
    cutoff = first_fix if first_fix is not None else (acts[0].index if acts else None)
    investigators = team.spec.holders("investigator")
    on_time: dict[str, str] = {}
    late: dict[str, str] = {}
    for p in mine:
        if not isinstance(p.post, Assign) or p.post.owner not in investigators:
            continue
        where = on_time if cutoff is None or p.after_moves <= cutoff else late
        where.setdefault(p.post.owner, f"{p.post.workstream} → {p.post.owner}")
    late = {k: v for k, v in late.items() if k not in on_time}
    share = (len(on_time) + 0.5 * len(late)) / len(investigators)
    before = "the first fix" if first_fix is not None else "the first action"
    earned = [f"{w} (before {before})" for w in on_time.values()]
    earned += [f"{w} (only after {before}: half)" for w in late.values()]
    missed = [f"no workstream for {n}" for n in investigators if n not in on_time and n not in late]
    why = f"{len(on_time)} of {len(investigators)} investigators given a workstream before {before}"
    return Part("workstreams", top * share, top, why, earned, missed)


def _reason(post: Decision) -> str:
    if post.reason.strip():
        return post.reason
    for marker in (" because ", " since ", " as "):
        if marker in f" {post.text} ":
            return f" {post.text} ".split(marker, 1)[1]
    return ""


def _decisions(mine: list[Posted], acts: list[MoveRecord]) -> Part:
    top = COMMANDER["decisions"]
    decisions = [p for p in mine if isinstance(p.post, Decision)]
    reasoned = [p for p in decisions if isinstance(p.post, Decision) and a_reason(_reason(p.post))]
    if not acts:
        if reasoned:
            return Part("decisions", top, top, "no action taken; decisions logged with reasons")
        return Part("decisions", 0.0, top, "no decision logged", [], ["log decisions with reasons"])
    earned, missed = [], []
    previous = -1
    for act in acts:
        assert act.action is not None
        covering = [
            p
            for p in reasoned
            if previous < p.after_moves <= act.index + 1
            and isinstance(p.post, Decision)
            and names_action(f"{p.post.text} {p.post.reason}", act.action.action, act.action.args)
        ]
        if covering:
            post = covering[0].post
            assert isinstance(post, Decision)
            earned.append(
                f"move {act.index + 1} {act.text}: “{post.text}” because “{_reason(post)}”"
            )
        else:
            bare = [p for p in decisions if previous < p.after_moves <= act.index + 1]
            note = " (a decision was logged, without a reason that says something)" if bare else ""
            missed.append(
                f"move {act.index + 1} {act.text}: no decision logged with a reason{note}"
            )
        previous = act.index
    share = len(earned) / len(acts)
    why = f"{len(earned)} of {len(acts)} actions covered by a logged decision with its reason"
    return Part("decisions", top * share, top, why, earned, missed)


def _handover(team: TeamDrill, mine: list[Posted]) -> Part:
    top = COMMANDER["handover"]
    owed = team.boxed_before_conclusion if team.concluded else team.boxed
    if not owed:
        why = "not needed: the incident was closed within the time box"
        if not team.concluded:
            why = "not needed: the drill ended before the time box"
        return Part("handover", top, top, why)
    window = team.time_box_min - HANDOVER_WINDOW_MIN
    handovers = [p for p in mine if isinstance(p.post, Handover) and p.clock_min >= window]
    if not handovers:
        why = "the time box ran out with no handover"
        return Part("handover", 0.0, top, why, [], [why])
    post = handovers[-1].post
    assert isinstance(post, Handover)
    text = f"{post.text} {post.to}"
    found = [
        name
        for name, phrases in (("state", HANDOVER_STATE), ("next", HANDOVER_NEXT))
        if phrases.mentions(text)
    ]
    points = top * (0.25 + 0.375 * len(found))
    missed = [f"the handover does not say {w}" for w in ("state", "next") if w not in found]
    why = f"handover at minute {handovers[-1].clock_min:.0f} states " + (
        " and ".join(found) or "neither where things stand nor what is next"
    )
    return Part("handover", points, top, why, [f"“{post.text}”"], missed)


def _second_alerts(team: TeamDrill, mine: list[Posted]) -> Part:
    """Each injected alert acknowledged in the channel with an owner: the commander's
    assignment that names it (`alert: n`), within the plan's minutes of it (within twice
    that: half). An alert left without one is ignored and earns nothing; one the drill
    ended within the minutes of is not judged (nothing was owed yet)."""
    top, due = COMMANDER["second alert"], team.plan.alert_owner_min
    alerts = team.alerts()
    if not alerts:
        return Part("second alert", top, top, "no second alert was injected")
    earned, missed, shares = [], [], []
    for number, alert in enumerate(alerts, 1):
        assert isinstance(alert.post, Inject)
        what = f"alert {number} at minute {alert.clock_min:.0f} “{alert.post.text[:80]}”"
        owned = [p for p in mine if isinstance(p.post, Assign) and p.post.alert == number]
        if not owned:
            if team.clock_min - alert.clock_min <= due:
                continue  # its minutes had not run out when the drill stood here
            shares.append(0.0)
            missed.append(f"{what}: ignored, no owner given (due within {due:g} minutes)")
            continue
        first = owned[0]
        assert isinstance(first.post, Assign)
        after = first.clock_min - alert.clock_min
        said = (
            f"{what}: “{first.post.workstream}” → {first.post.owner} {after:.0f} minutes after it"
        )
        share = 1.0 if after <= due else 0.5 if after <= 2 * due else 0.0
        shares.append(share)
        if share == 1.0:
            earned.append(f"{said} (due within {due:g})")
        elif share:
            earned.append(f"{said} (late: half)")
            missed.append(f"{said}: due within {due:g} minutes")
        else:
            missed.append(f"{said}: too late (due within {due:g} minutes)")
    if not shares:
        why = f"{len(alerts)} alert(s) injected; the drill ended within their {due:g} minutes"
        return Part("second alert", top, top, why, earned)
    share = sum(shares) / len(shares)
    owned_in_time = sum(1 for x in shares if x == 1.0)
    why = (
        f"{owned_in_time} of {len(shares)} second alerts acknowledged with an owner "
        f"within {due:g} minutes"
    )
    return Part("second alert", top * share, top, why, earned, missed)


# --- communications --------------------------------------------------------------------


def comms_component(
    team: TeamDrill, key: AnswerKey, evidence: TeamEvidence, fixes: list[tuple[int, str]]
) -> tuple[Component, list[dict[str, Any]]]:
    writer = team.spec.holder("comms")
    updates = team.posts("update")
    top = sum(COMMS.values())
    if not updates:
        return _nothing("communications", top, [writer], "no stakeholder update was posted"), []
    guesses, penalties = _no_guessing(team, key, evidence, updates)
    parts = [
        _first_update(team, updates),
        _update_elements(updates),
        _cadence(team, updates),
        guesses,
        _questions(team, updates),
        _resolution(team, updates, fixes),
    ]
    return _total("communications", parts, [writer], top), penalties


def _text(p: Posted) -> str:
    assert isinstance(p.post, Update)
    return p.post.text


def _final(p: Posted) -> bool:
    return isinstance(p.post, Update) and p.post.status == "resolved"


def _first_update(team: TeamDrill, updates: list[Posted]) -> Part:
    top, due = COMMS["first update"], team.plan.comms.first_update_min
    at = updates[0].clock_min
    share = 1.0 if at <= due else 0.5 if at <= 2 * due else 0.0
    why = f"first update at minute {at:.0f} (due within {due:g} minutes of the page)"
    return Part(
        "first update", top * share, top, why, [why] if share else [], [] if share == 1 else [why]
    )


def _update_elements(updates: list[Posted]) -> Part:
    top = COMMS["update elements"]
    earned, missed, shares = [], [], []
    for p in updates:
        found = elements(_text(p), final=_final(p))
        shares.append(found.share)
        stated = ", ".join(found.found) or "nothing"
        earned.append(f"update at minute {p.clock_min:.0f} states {stated}")
        if found.missing:
            missed.append(f"update at minute {p.clock_min:.0f} lacks {', '.join(found.missing)}")
    share = sum(shares) / len(shares)
    why = (
        f"{share:.0%} of the updates' elements stated "
        "(impact, scope, current action, next update time)"
    )
    return Part("update elements", top * share, top, why, earned, missed)


def _cadence(team: TeamDrill, updates: list[Posted]) -> Part:
    """Each gap between updates against what the earlier one promised (or the plan's
    cadence, whichever is sooner), and the last open promise against the drill's end."""
    top, plan = COMMS["cadence"], team.plan.comms
    kept, late = [], []
    for i, p in enumerate(updates):
        if _final(p):
            break
        promised = promised_at(_text(p), p.clock_min)
        due = (
            min(promised, p.clock_min + plan.cadence_min)
            if promised
            else p.clock_min + plan.cadence_min
        )
        following = updates[i + 1].clock_min if i + 1 < len(updates) else None
        if following is None and team.clock_min <= due + plan.grace_min:
            break  # nothing owed yet when the drill ended
        at = following if following is not None else team.clock_min
        what = f"after minute {p.clock_min:.0f}, the next update was due by minute {due:.0f}"
        if at <= due + plan.grace_min:
            kept.append(f"{what}: posted at minute {at:.0f}")
        else:
            late.append(f"{what}: " + (f"posted at minute {at:.0f}" if following else "none came"))
    total = len(kept) + len(late)
    share = len(kept) / total if total else 1.0
    why = (
        f"{len(kept)} of {total} update intervals kept"
        if total
        else "one update, nothing owed since"
    )
    return Part("cadence", top * share, top, why, kept, late)


def _no_guessing(
    team: TeamDrill, key: AnswerKey, evidence: TeamEvidence, updates: list[Posted]
) -> tuple[Part, list[dict[str, Any]]]:
    top = COMMS["no cause before evidence"]
    causes = {f.cause for f in key.faults()}
    earned, missed, penalties = [], [], []
    for p in updates:
        stated = stated_cause(_text(p))
        if stated is None:
            continue
        statement, cause = stated
        read = evidence.share_before(p.after_moves)
        if cause is not None and cause not in causes:
            problem = "a cause that is not the incident's"
        elif read < EVIDENCE_FOR_A_CAUSE:
            problem = f"a cause announced with {read:.0%} of the key's evidence read"
        else:
            earned.append(
                f"minute {p.clock_min:.0f}: cause stated with {read:.0%} of the evidence read"
            )
            continue
        what = f"update at minute {p.clock_min:.0f}: “{statement}” — {problem}"
        missed.append(what)
        penalties.append(
            {
                "move": None,
                "points": UNSUPPORTED_CAUSE_PENALTY,
                "id": "unsupported-cause",
                "why": f"announced to stakeholders before the evidence: {what}",
                "by": p.by,
            }
        )
    points = 0.0 if missed else top
    why = (
        "no cause announced before the team had evidence for it"
        if not missed
        else (f"{len(missed)} update(s) announced a cause the team had no evidence for")
    )
    return Part("no cause before evidence", points, top, why, earned, missed), penalties


def _questions(team: TeamDrill, updates: list[Posted]) -> Part:
    top = COMMS["questions answered"]
    asked = [p for p in team.channel if isinstance(p.post, Inject) and p.post.kind == "question"]
    if not asked:
        return Part("questions answered", top, top, "no stakeholder question was asked")
    earned, missed = [], []
    for q in asked:
        assert isinstance(q.post, Inject)
        planned = team.plan.inject(q.post.inject) if q.post.inject else None
        later = [u for u in updates if u.seq > q.seq]
        if planned is not None and planned.answer:
            later = [u for u in later if answers(_text(u), planned.answer)]
        if later:
            earned.append(f"“{q.post.text}” answered at minute {later[0].clock_min:.0f}")
        else:
            missed.append(f"“{q.post.text}” (minute {q.clock_min:.0f}) never answered in an update")
    share = len(earned) / len(asked)
    why = f"{len(earned)} of {len(asked)} stakeholder questions answered"
    return Part("questions answered", top * share, top, why, earned, missed)


def _resolution(team: TeamDrill, updates: list[Posted], fixes: list[tuple[int, str]]) -> Part:
    top = COMMS["resolution update"]
    if not fixes:
        return Part("resolution update", top, top, "nothing fixed: no resolution to announce")
    index = min(i for i, _ in fixes)
    fix = team.drill.moves[index]
    assert fix.action is not None
    after = [
        u
        for u in updates
        if u.after_moves > index
        and isinstance(u.post, Update)
        and u.post.status in ("monitoring", "resolved")
    ]
    if not after:
        why = "no resolving or monitoring update after the fix"
        return Part("resolution update", 0.0, top, why, [], [why])
    best, best_found = after[-1], 0
    for u in after:
        found = int(names_fix(_text(u), fix.action.action, fix.action.args)) + int(
            FOLLOW_UP.says(_text(u))
        )
        if found >= best_found:
            best, best_found = u, found
    text = _text(best)
    names = names_fix(text, fix.action.action, fix.action.args)
    follow = FOLLOW_UP.says(text)
    said = [w for w, ok in (("the fix", names), ("the follow-up", follow)) if ok]
    why = f"update at minute {best.clock_min:.0f} names " + (
        " and ".join(said) or "neither the fix nor the follow-up"
    )
    missed = [
        f"the resolution update does not name {w}"
        for w, ok in (("the fix", names), ("the follow-up", follow))
        if not ok
    ]
    return Part("resolution update", top * len(said) / 2, top, why, [f"“{text}”"], missed)


# --- coordination ----------------------------------------------------------------------


def _same(a: MoveRecord, b: MoveRecord) -> bool:
    return a.kind == b.kind and " ".join(a.text.lower().split()) == " ".join(b.text.lower().split())


def coordination_component(team: TeamDrill) -> tuple[Component, list[dict[str, Any]]]:
    moves, movers = team.drill.moves, team.movers
    waste = []
    for a, b in itertools.pairwise(moves):
        if a.kind in ("look", "query") and movers[a.index] != movers[b.index] and _same(a, b):
            waste.append(
                f"moves {a.index + 1} and {b.index + 1}: {movers[a.index]} and "
                f"{movers[b.index]} both ran {a.kind} “{a.text[:80]}” back to back"
            )
    harm = _contradictions(team)
    points = 0.0 if harm else max(0.0, COORDINATION - WASTE_POINTS * len(waste))
    why = f"{len(waste)} duplicated look(s) back to back, {len(harm)} contradicting action(s)"
    missed = waste + [h["why"] for h in harm]
    everyone = [m.name for m in team.spec.members]
    earned = [] if missed else ["no duplicated work, no contradicting actions"]
    return Component("coordination", points, COORDINATION, why, earned, missed, everyone), harm


def _contradictions(team: TeamDrill) -> list[dict[str, Any]]:
    """An action by one member that sets a fleet field another member's earlier action set,
    to another value, with no decision logged between them that names it."""
    acts = [m for m in team.drill.moves if m.kind == "act" and m.changes]
    ic = team.spec.holder("commander")
    decided = [p for p in team.channel if p.by == ic and isinstance(p.post, Decision)]
    out: list[dict[str, Any]] = []
    for j, later in enumerate(acts):
        for earlier in acts[:j]:
            if team.movers[earlier.index] == team.movers[later.index]:
                continue
            clash = [
                path
                for path, value in later.changes.items()
                if path in earlier.changes and earlier.changes[path] != value
            ]
            if not clash or later.action is None:
                continue
            between = [
                p
                for p in decided
                if earlier.index < p.after_moves <= later.index + 1
                and isinstance(p.post, Decision)
                and names_action(
                    f"{p.post.text} {p.post.reason}", later.action.action, later.action.args
                )
            ]
            if between:
                continue
            out.append(
                {
                    "move": later.index,
                    "points": CONTRADICTION_PENALTY,
                    "id": "contradicting-actions",
                    "why": (
                        f"move {later.index + 1} ({team.movers[later.index]}: {later.text}) undid "
                        f"move {earlier.index + 1} ({team.movers[earlier.index]}: {earlier.text}) "
                        f"on {', '.join(clash)} with no decision logged between them"
                    ),
                    "by": team.movers[later.index],
                }
            )
            break
    return out
