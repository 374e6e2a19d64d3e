"""Can a symptom family be trusted? Simulated, for every member rendered with the same
family parameters:

- **the page**: each member shows the family's paging symptom inside its stated band at
  the page (against the no-fault run), and each passes the author's checks (its key's 3σ
  signals, its reference alert rules, its expert ≥ 85 and naive ≤ 40);
- **the evidence tells them apart**: for every ordered pair (A, B), at least one of A's
  key signals that locate its fault stands ≥ 3σ off the no-fault run in A and not in B
  (not at all, or in the other direction): a careful investigation of B never reads as A;
- **a tip is worth nothing**: A's expert transcript replayed on B (a candidate following
  an earlier candidate's advice) scores ≤ 40 on average over all ordered pairs, while
  each member's own expert scores ≥ 85.

`instantiate` draws a member for a candidate (drills/library/family.py: `assign`) and
verifies it like a scenario's variant, its page band included.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drills.judge.scoring import prefetch_scores, references, replay, score
from drills.judge.signals import deviation_sigma, select, series
from drills.library.family import (
    Family,
    FamilyFile,
    PageSymptom,
    assign,
    draw,
    draw_seed,
    member_dir,
    naming_problems,
    write_member,
)
from drills.library.scenario import AnswerKey, LoadedScenario, load_key, load_scenario
from drills.library.variants import Variant, check
from drills.library.verify import MIN_SIGMA, Check, verify
from drills.play.transcript import load_transcript
from drills.runs.service import Runs
from drills.team.model import load_family_plan
from simulator.errors import InputError, InputErrors
from simulator.telemetry.bundle import Telemetry

TIP_MAX = 40.0  # the mean score of an expert's path replayed on another member
OWN_MIN = 85.0  # each member's own expert


@dataclass
class Rendered:
    """A member rendered as a plain scenario, with its key."""

    member: str
    folder: Path
    scenario: LoadedScenario
    key: AnswerKey

    @property
    def causes(self) -> list[str]:
        return [self.key.cause, *(a.cause for a in self.key.also)]


def render_members(
    family: FamilyFile, out: Path, drawn: dict[str, Any] | None = None
) -> list[Rendered]:
    """Every member into out/<member>, all with the same family parameters (the defaults,
    or `drawn`), each with its own magnitudes at their defaults."""
    shared = {name: p.default for name, p in family.params.items()} | (drawn or {})
    members = []
    for member in family.spec.members:
        folder = out / member.id
        write_member(family, member.id, shared, folder)
        members.append(load_rendered(family, member.id, folder))
    return members


def load_rendered(family: FamilyFile, member: str, folder: Path) -> Rendered:
    """A rendered member, its transcripts checked against its scenario; a bad file is
    reported where its author wrote it (the family file, or the member's own files: the
    rendering keeps their lines), not in the rendered copy."""
    try:
        scenario = load_scenario(folder / "scenario.yaml")
        key = load_key(folder / "key.yaml", scenario)
        for path in sorted((folder / "transcripts").glob("*.yaml")):
            load_transcript(path, scenario)
    except InputError as exc:
        errors = getattr(exc, "errors", [exc])
        raise InputErrors([_authored(family, member, folder, e) for e in errors]) from None
    return Rendered(member, folder, scenario, key)


def _authored(family: FamilyFile, member: str, folder: Path, error: InputError) -> InputError:
    path = Path(error.source)
    if path == folder / "scenario.yaml":
        where = f"members[{member}] rendered: {error.field_path}"
        return InputError(str(family.path), where, error.expected)
    try:
        relative = path.relative_to(folder)
    except ValueError:
        return error
    source = member_dir(family, member) / relative
    return InputError(str(source), error.field_path, error.expected, error.line)


# --- the page ----------------------------------------------------------------------------


def _users(tel: Telemetry, symptom: PageSymptom, window: tuple[float, float]) -> pd.DataFrame:
    """The user requests a symptom reads: first attempts, no shadow copies, in the window."""
    r = tel.requests
    users = r[
        (r["arrival_s"] >= window[0])
        & (r["arrival_s"] < window[1])
        & (r["attempt"] == 1)
        & (r["status"] != "shadow")
    ]
    return select(users, symptom.requests or {})


def _stat(users: pd.DataFrame, column: str, stat: str) -> float:
    values = pd.to_numeric(users[column], errors="coerce").dropna()
    if not len(values):
        return math.nan
    return float(values.mean() if stat == "mean" else values.quantile(0.95))


def symptom_value(tel: Telemetry, symptom: PageSymptom, window: tuple[float, float]) -> float:
    """The symptom's value in one run (not for `worst_of`, which compares two runs)."""
    if symptom.metric is not None:
        m = tel.metrics
        rows = m[(m["name"] == symptom.metric) & (m["t_s"] >= window[0]) & (m["t_s"] < window[1])]
        if symptom.labels:
            rows = rows[rows["labels"].astype(str).isin(symptom.labels)]
        per_interval = rows.groupby("t_s")["value"].sum()
        return float(per_interval.mean()) if len(per_interval) else math.nan
    users = _users(tel, symptom, window)
    if symptom.over:
        bad = np.zeros(len(users), dtype=bool)
        for column, limit in symptom.over.items():
            bad |= pd.to_numeric(users[column], errors="coerce").to_numpy(dtype=float) > limit
        return float(bad.mean()) if len(users) else math.nan
    assert symptom.column is not None
    return _stat(users, symptom.column, symptom.stat)


def symptom_ratio(
    faulty: Telemetry, clean: Telemetry, symptom: PageSymptom, window: tuple[float, float]
) -> float:
    """The incident's value over the no-fault run's (for `worst_of`, the largest of its
    columns' ratios)."""
    mine, base = _users(faulty, symptom, window), _users(clean, symptom, window)
    if symptom.worst_of:
        ratios = [
            _stat(mine, column, stat) / _stat(base, column, stat)
            for column, stat in symptom.worst_of.items()
        ]
        return max(ratios)
    if symptom.by:
        assert symptom.column is not None
        return max(_segment_ratios(mine, base, symptom.column, symptom.stat, symptom.by))
    reference = symptom_value(clean, symptom, window)
    return symptom_value(faulty, symptom, window) / reference if reference else math.nan


MIN_SEGMENT = 200  # requests a segment needs in the no-fault window to be paged on


def _segment_ratios(
    mine: pd.DataFrame, base: pd.DataFrame, column: str, stat: str, by: list[str]
) -> list[float]:
    """Each segment's statistic over the no-fault run's, for every group of every
    dimension in `by` (segments too small to page on left out)."""
    ratios = []
    for dimension in by:
        for group, rows in base.groupby(dimension, observed=True):
            reference = _stat(rows, column, stat)
            if len(rows) < MIN_SEGMENT or not reference:
                continue
            ratios.append(_stat(mine[mine[dimension] == group], column, stat) / reference)
    return ratios or [math.nan]


def page_checks(family: Family, scenario: LoadedScenario, runs: Runs) -> list[Check]:
    """Each paging symptom inside its band at the page, against the no-fault run."""
    faulty, clean = runs.get(scenario, scenario.timeline), runs.get(scenario, [])
    window = family.page.window_s
    out = []
    for symptom in family.page.symptoms:
        if symptom.ratio is not None:
            ratio = symptom_ratio(faulty, clean, symptom, window)
            out.append(_band(symptom.id, ratio, symptom.ratio, "×"))
        if symptom.value is not None:
            out.append(_band(symptom.id, symptom_value(faulty, symptom, window), symptom.value, ""))
    return out


def _band(name: str, value: float, band: tuple[float, float], unit: str) -> Check:
    low, high = band
    return Check("page", name, round(value, 4), f"{unit}{low:g}–{high:g}", low <= value <= high)


# --- the evidence tells the members apart ------------------------------------------------


def signed_sigma(faulty: np.ndarray, clean: np.ndarray) -> float:
    """deviation_sigma with the direction of the change."""
    f, c = faulty[np.isfinite(faulty)], clean[np.isfinite(clean)]
    if not len(f):
        return 0.0
    direction = 1.0 if float(f.mean()) >= (float(c.mean()) if len(c) else 0.0) else -1.0
    return direction * deviation_sigma(faulty, clean)


@dataclass
class Pair:
    """A's key signals that locate its fault, read on A's incident and on B's."""

    a: str
    b: str
    sigma_in_a: dict[str, float]
    sigma_in_b: dict[str, float]
    telling: list[str]  # A's signals that tell A from B

    @property
    def ok(self) -> bool:
        return bool(self.telling)


def tells_apart(in_a: float, in_b: float) -> bool:
    """A signal tells A from B when it stands ≥ 3σ off in A and not in B: below 3σ there,
    or off the other way."""
    return abs(in_a) >= MIN_SIGMA and (abs(in_b) < MIN_SIGMA or in_a * in_b < 0)


def pairwise(members: list[Rendered], runs: Runs) -> list[Pair]:
    sigmas: dict[tuple[str, str], dict[str, float]] = {}
    for b in members:  # each member's two runs read once, for every member's signals
        faulty, clean = runs.get(b.scenario, b.scenario.timeline), runs.get(b.scenario, [])
        for a in members:
            focused = [s for s in a.key.signals if s.focus]
            sigmas[a.member, b.member] = {
                s.id: round(signed_sigma(series(faulty, s), series(clean, s)), 1) for s in focused
            }
    pairs = []
    for a in members:
        own = sigmas[a.member, a.member]
        for b in members:
            if b is a:
                continue
            other = sigmas[a.member, b.member]
            telling = [s for s in own if tells_apart(own[s], other[s])]
            pairs.append(Pair(a.member, b.member, own, other, telling))
    return pairs


# --- a tip is worth nothing ------------------------------------------------------------


@dataclass
class Tips:
    """scores[a][b]: member a's expert transcript replayed on member b."""

    scores: dict[str, dict[str, float]]

    @classmethod
    def of(cls, members: list[Rendered], columns: dict[str, dict[str, float]]) -> Tips:
        """The matrix from its columns (`tip_column` of each member)."""
        return cls(
            {a.member: {b: column[a.member] for b, column in columns.items()} for a in members}
        )

    def own(self) -> dict[str, float]:
        return {m: row[m] for m, row in self.scores.items()}

    def tipped(self) -> list[float]:
        return [v for a, row in self.scores.items() for b, v in row.items() if a != b]

    def mean_tipped(self) -> float:
        found = self.tipped()
        return round(float(np.mean(found)), 1) if found else math.nan


def tip_column(
    b: Rendered, members: list[Rendered], runs: Runs, own: float | None = None
) -> dict[str, float]:
    """Every member's expert path replayed on member b: b's page prefix is simulated once
    and the replays' runs side by side (a row at a time would cycle four prefixes through
    a cache that keeps two). `own`: b's own expert's score where the caller has it (b's
    transcript checks scored that very replay), so it is not scored again."""
    refs = references(b.scenario, b.folder, runs)
    drills = {}
    for a in members:
        if a is b and own is not None:
            continue
        expert = load_transcript(a.folder / "transcripts" / "expert.yaml", b.scenario)
        drills[a.member] = replay(b.scenario, expert, runs)
    prefetch_scores(list(drills.values()), b.key, refs)
    scored = {a_member: score(drill, b.key, refs).score for a_member, drill in drills.items()}
    if own is not None:
        scored[b.member] = own
    return {a.member: scored[a.member] for a in members}


def own_expert(checks: list[Check]) -> float | None:
    """The score of a scenario's own expert transcript among its checks (`verify`)."""
    return next((c.value for c in checks if c.what == "transcript" and c.name == "expert"), None)


# --- the whole check -------------------------------------------------------------------


@dataclass
class FamilyReport:
    family: str
    params: dict[str, Any]
    causes: dict[str, list[str]]
    naming: list[str]
    members: dict[str, list[Check]] = field(default_factory=dict)
    pairs: list[Pair] = field(default_factory=list)
    tips: Tips | None = None

    def summary(self) -> list[Check]:
        out = [Check("naming", "page names no cause", len(self.naming), "0", not self.naming)]
        for member, checks in self.members.items():
            bad = [c.name for c in checks if not c.ok]
            out.append(Check("member", member, len(bad), "all checks pass", not bad))
        if self.pairs:
            apart = sum(p.ok for p in self.pairs)
            out.append(
                Check("pairs", "told apart", apart, f"{len(self.pairs)}", apart == len(self.pairs))
            )
        if self.tips is not None:
            mean = self.tips.mean_tipped()
            out.append(Check("tips", "tipped mean", mean, f"≤ {TIP_MAX:g}", mean <= TIP_MAX))
            weakest = min(self.tips.own().values())
            out.append(
                Check("tips", "own expert min", weakest, f"≥ {OWN_MIN:g}", weakest >= OWN_MIN)
            )
        return out

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.summary())

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "ok": self.ok,
            "params": self.params,
            "causes": self.causes,
            "naming": self.naming,
            "members": {m: [asdict(c) for c in checks] for m, checks in self.members.items()},
            "pairs": [asdict(p) | {"ok": p.ok} for p in self.pairs],
            "tips": self.tips.scores if self.tips else None,
            "tipped_mean": self.tips.mean_tipped() if self.tips else None,
            "summary": [asdict(c) for c in self.summary()],
        }


def prepare(family: FamilyFile, out: Path) -> tuple[FamilyReport, list[Rendered]]:
    """Every member rendered at the defaults into `out`, its transcripts checked against
    its scenario (no simulation), and whether anything a candidate sees names a cause (the
    page, the deploy log, and the family team plan's injects)."""
    members = render_members(family, out)
    causes = {m.member: m.causes for m in members}
    params = {name: p.default for name, p in family.params.items()}
    # a team on the family reads its team plan's injects too, whichever member it drew
    injects = [(f"team.yaml injects[{i.id}]", i.text) for i in load_family_plan(family).injects]
    naming = naming_problems(family.spec, causes, injects)
    return FamilyReport(family.spec.id, params, causes, naming), members


def check_family(family: FamilyFile, out: Path) -> FamilyReport:
    return prepare(family, out)[0]


def verify_family(family: FamilyFile, out: Path, runs: Runs, tips: bool = True) -> FamilyReport:
    """`check_family`, then simulated: each member's own checks and page band, the pairs
    told apart, and (with `tips`) the tip matrix."""
    report, members = prepare(family, out)
    columns: dict[str, dict[str, float]] = {}
    for member in members:
        report.members[member.member] = verify(member.scenario, runs) + page_checks(
            family.spec, member.scenario, runs
        )
        if tips:  # now, while the member's run paused at the page is kept (the checks
            # above forked from it; the service keeps two: a column for every member
            # afterwards simulated every member's page again)
            own = own_expert(report.members[member.member])
            columns[member.member] = tip_column(member, members, runs, own)
    report.pairs = pairwise(members, runs)
    if tips:
        report.tips = Tips.of(members, columns)
    return report


# --- a member for each candidate -------------------------------------------------------

# A member's draw is redrawn up to this many times (a scenario's variant: MAX_DRAWS, six). A
# member must also land its page in the family's band, so it is rejected more often than a
# variant: the autoscaler member of gpu-bill-up verified 5 of 11 draws (its spend rides on
# how many replicas a normal morning left on its pool), where six tries miss about one
# candidate in 35 and ten about one in 400 (docs/scenarios.md).
MEMBER_DRAWS = 10


def instantiate(
    family: FamilyFile,
    cohort_seed: int,
    candidate: int,
    out: Path,
    verify: bool = True,
    runs: Runs | None = None,
    member: str | None = None,
) -> Variant:
    """Candidate `candidate` of a cohort seeded `cohort_seed`: the member `assign` gives
    (or `member`), its parameters drawn and rendered into `out` and (by default) verified
    like a variant, its page band included; a rejected draw is redrawn (the same member)
    up to MEMBER_DRAWS times."""
    spec = family.spec
    member = member or assign(spec, cohort_seed, candidate)
    spec.member(member)  # an unknown member is bad input
    rejected: list[dict[str, Any]] = []
    variant: Variant | None = None
    for attempt in range(MEMBER_DRAWS):
        seed = draw_seed(spec, cohort_seed, candidate, attempt)
        params = write_member(
            family, member, draw(family, member, seed), out, cohort_seed=cohort_seed
        )
        variant = Variant(
            spec.id,
            cohort_seed,
            seed,
            params,
            out,
            rejected=list(rejected),
            member=member,
            candidate=candidate,
        )
        if not verify:
            return variant
        runs = runs or Runs()
        check(variant, spec.band, runs)
        scenario = load_scenario(out / "scenario.yaml")
        variant.checks += [asdict(c) for c in page_checks(spec, scenario, runs)]
        if variant.ok:
            return variant
        failed = [c["name"] for c in variant.checks if not c["ok"]]
        rejected.append({"draw_seed": seed, "params": params, "failed": failed})
    assert variant is not None
    variant.rejected = rejected
    return variant
