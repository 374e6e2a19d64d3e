"""The written exam: the seed's prompts as items a candidate answers in prose, marked per
rubric item by the same matcher that marks a drill's prevention (drills/judge/matcher.py), with
an examiner's override per item recorded beside the machine's mark.

Files (pydantic models, `extra="forbid"`, errors naming the file and field):

- an exam item, `scenarios/exams/<id>.yaml`: the question, the rubric (items, points, the
  phrasings a reviewer accepts as concept groups), the course's hidden answer. A
  facilitator adds one without code; `speechdrill exam check` validates it and marks its
  own hidden answer against its rubric (an item its own answer cannot earn is a bug);
- an attempt, written by `speechdrill exam take` or by hand: the candidate, the exam, the
  answer, and the examiner's overrides (who, when, why), appended by `exam override`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, model_validator

from drills.judge.essay import committed
from drills.judge.matcher import ESSAY, Concept, expand, judge
from drills.library.paths import library_root
from drills.play.journal import home, signing_key
from drills.runs.service import Runs
from simulator.errors import InputError
from simulator.spec.fileio import load_model
from simulator.spec.fleet import Strict

PASS_MARK = 60.0  # percent: the course's "strong answer" line


class RubricItem(Strict):
    """One point a strong answer makes, and the phrasings that make it: `accept` is a list
    of concept groups, every group present in one statement (`@name`: a synonym set)."""

    id: str = Field(min_length=1)
    points: float = Field(1.0, gt=0)
    description: str = Field(min_length=1, description="what the examiner looks for")
    accept: list[list[str]] = Field(default_factory=list, description="concept groups")
    check: str | None = Field(
        None, description="a practical item: met by this check of the handed-in artifact"
    )

    @model_validator(mode="after")
    def _groups(self) -> RubricItem:
        if bool(self.accept) == (self.check is not None):
            raise ValueError("give `accept` (phrasings) or `check` (a tool's check), not both")
        for group in self.accept:
            if not group:
                raise ValueError("an `accept` group is empty")
            expand(group)  # raises on an unknown @synonym set
        return self


class ExamItem(Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    source: str = Field(min_length=1, description="where the prompt comes from")
    question: str = Field(min_length=1)
    minutes: int = Field(20, gt=0, description="the time a candidate is given")
    rubric: list[RubricItem] = Field(min_length=1)
    hidden_answer: str = Field(min_length=1, description="the course's answer")
    exercise: Literal["gate", "packet", "budget"] | None = Field(
        None, description="a practical exercise: the attempt hands in an artifact the tool checks"
    )
    reference_artifact: str | None = Field(
        None, description="a model artifact (path under scenarios/), for the self-check"
    )
    reference_decision: Literal["merge", "pause", "block"] | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> ExamItem:
        ids = [r.id for r in self.rubric]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"rubric ids must be unique; repeated: {duplicates}")
        checks = {r.check for r in self.rubric if r.check is not None}
        if checks and self.exercise is None:
            raise ValueError("rubric items with `check` need the item's `exercise`")
        if self.exercise is not None:
            from drills.course.release.exercises import CHECK_IDS

            unknown = sorted(checks - CHECK_IDS[self.exercise])
            if unknown:
                known = sorted(CHECK_IDS[self.exercise])
                raise ValueError(f"unknown checks {unknown} for {self.exercise}: {known}")
        return self

    def concepts(self) -> list[Concept]:
        return [Concept.of(r.id, r.accept) for r in self.rubric if r.accept]


class Override(Strict):
    item: str = Field(min_length=1, description="the rubric item id")
    met: bool
    by: str = Field(min_length=1, description="the examiner")
    reason: str = Field(min_length=1)
    at: str = Field(description="ISO time of the override")
    mac: str = Field(
        "",
        description="the examiner's signature (`exam override`): an override written by hand "
        "into the attempt file, or carried onto another answer, is not applied",
    )


class Attempt(Strict):
    exam: str = Field(min_length=1, description="the exam item id")
    candidate: str = Field(min_length=1)
    answer: str
    artifact: str | None = Field(None, description="the handed-in file's text (exercises)")
    decision: Literal["merge", "pause", "block"] | None = Field(
        None, description="the gate decision (the slice-gate exercise)"
    )
    submitted_at: str = ""
    overrides: list[Override] = Field(default_factory=list)


def exams_root() -> Path:
    return library_root() / "exams"


def exam_paths(root: Path | None = None) -> list[Path]:
    return sorted((root or exams_root()).glob("*.yaml"))


def load_exam(path: Path) -> ExamItem:
    item = load_model(path, ExamItem)
    if path.stem != item.id:
        raise InputError(str(path), "id", f"the file name's stem, {path.stem!r}")
    return item


def resolve_exam(name: str) -> Path:
    """An exam item file path, or an id in the library."""
    path = Path(name)
    if path.is_file():
        return path
    candidate = exams_root() / f"{name}.yaml"
    if candidate.is_file():
        return candidate
    known = [p.stem for p in exam_paths()]
    raise InputError(name, "", f"no such exam file or id; the library has {known}")


def load_attempt(path: Path, exam: ExamItem | None = None) -> Attempt:
    attempt = load_model(path, Attempt)
    if exam is not None:
        check_attempt(attempt, exam, path)
    return attempt


def check_attempt(attempt: Attempt, exam: ExamItem, path: Path) -> None:
    """The attempt answers this exam, and its overrides name the rubric's items."""
    if attempt.exam != exam.id:
        raise InputError(str(path), "exam", f"an attempt at {exam.id!r}")
    ids = {r.id for r in exam.rubric}
    for i, override in enumerate(attempt.overrides):
        if override.item not in ids:
            raise InputError(
                str(path), f"overrides.{i}.item", f"one of the rubric's items {sorted(ids)}"
            )


def save_attempt(attempt: Attempt, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(attempt.model_dump(), sort_keys=False, allow_unicode=True, width=88)
    scratch = path.with_suffix(path.suffix + ".tmp")
    scratch.write_text(text)
    scratch.replace(path)  # atomic: an interrupted write never loses the answer


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


# --- marking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemMark:
    id: str
    description: str
    points: float
    met_by_matcher: bool  # by the matcher, or by the tool's check for a practical item
    statement: str  # the candidate's statement that earned it, or the check's finding
    override: Override | None = None
    by_check: bool = False
    credit: float = 1.0  # below 1: earned by a fragment of a list of fragments

    @property
    def met(self) -> bool:
        return self.override.met if self.override is not None else self.met_by_matcher


@dataclass
class Marking:
    exam: str
    candidate: str
    items: list[ItemMark]
    factor: float  # below 1 when padding dilutes the answer, or it answers other questions
    negated: list[str] = field(default_factory=list)  # statements refused as negations
    soup: list[str] = field(default_factory=list)  # statements refused as bare lists
    statements: int = 0
    # the other exam questions the answer answers as fully (`answered_elsewhere`): an answer
    # written for no question in particular, marked by its share of statements on this one
    elsewhere: list[str] = field(default_factory=list)
    # the overrides signed for this answer, in the order made (the latest of an item applies,
    # the earlier stay in the record), and those no examiner's key signed for it: not applied
    signed: list[Override] = field(default_factory=list)
    unsigned: list[Override] = field(default_factory=list)

    @property
    def total_points(self) -> float:
        return sum(i.points for i in self.items)

    @property
    def earned_points(self) -> float:
        """Matched items are diluted by padding; an examiner's override counts in full."""
        earned = 0.0
        for item in self.items:
            if item.override is not None:
                earned += item.points if item.override.met else 0.0
            elif item.met_by_matcher:
                earned += item.points * (1.0 if item.by_check else self.factor * item.credit)
        return earned

    @property
    def score(self) -> float:
        return round(100.0 * self.earned_points / self.total_points, 1)

    @property
    def passed(self) -> bool:
        return self.score >= PASS_MARK


def mark(exam: ExamItem, attempt: Attempt, runs: Runs | None = None) -> Marking:
    """Mark an answer per rubric item (practical items by the tool's checks of the
    artifact, any SQL in it run by `runs`: drills/runs/service.py); the latest override of
    an item wins."""
    # what the answer visibly commits to, not every phrase it writes (drills/judge/essay.py)
    answer = committed(attempt.answer)
    judged = judge([answer], exam.concepts(), ESSAY)
    checks: dict[str, tuple[bool, str]] = {}
    if exam.exercise is not None:
        from drills.course.release.exercises import run_checks

        checks = run_checks(exam.exercise, attempt.artifact, attempt.decision, runs)
    signed, unsigned = signed_overrides(attempt)
    latest = {o.item: o for o in signed}
    items = []
    for r in exam.rubric:
        if r.check is not None:
            met, why = checks.get(r.check, (False, "not checked"))
            statement = f"tool check: {why}"
        else:
            met = judged.weights.get(r.id, 0.0) > 0.0
            statement = judged.earned.get(r.id, "") if met else ""
        items.append(
            ItemMark(
                id=r.id,
                description=r.description,
                points=r.points,
                met_by_matcher=met,
                statement=statement,
                override=latest.get(r.id),
                by_check=r.check is not None,
                credit=judged.weights.get(r.id, 1.0),
            )
        )
    elsewhere = answered_elsewhere(exam, answer)
    factor = judged.factor
    if elsewhere:
        factor = min(factor, judged.on_point / max(judged.statements, 1))
    return Marking(
        exam=exam.id,
        candidate=attempt.candidate,
        items=items,
        factor=factor,
        elsewhere=elsewhere,
        negated=judged.negated,
        soup=judged.soup,
        statements=judged.statements,
        signed=signed,
        unsigned=unsigned,
    )


ELSEWHERE_SHARE = 2 / 3  # of another question's prose items: that question answered too
ELSEWHERE_QUESTIONS = 2  # other questions answered so: a checklist written for any question
# a question of fewer prose items is answered by an honest answer's aside (exercise 1's
# three: slices, a fixed set, a budget), so it tells nothing of a checklist
ELSEWHERE_MIN_ITEMS = 5


@cache
def _rubrics(root: Path) -> tuple[tuple[str, tuple[Concept, ...]], ...]:
    """Every exam question's prose rubric, by question, read once per library folder."""
    return tuple((item.id, tuple(item.concepts())) for item in map(load_exam, exam_paths(root)))


def answered_elsewhere(exam: ExamItem, answer: str) -> list[str]:
    """The other questions of the library whose prose rubric the answer earns as a strong
    answer to them would (two-thirds of their items or more), where there are at least
    ELSEWHERE_QUESTIONS of them: an answer written once for every question (a checklist of
    good practice) answers this one only with the share of its statements that earn its
    items, so `mark` scales it by that share. No answer of the blind corpora, strong or
    partial, answers two other questions so (docs/scoring.md). `answer` is the text as
    marked: what it commits to (`committed`)."""
    if not answer.strip():
        return []
    found = []
    for other, concepts in _rubrics(exams_root()):
        if other == exam.id or len(concepts) < ELSEWHERE_MIN_ITEMS:
            continue
        earned = judge([answer], concepts, ESSAY).earned
        if len(earned) >= ELSEWHERE_SHARE * len(concepts):
            found.append(other)
    return found if len(found) >= ELSEWHERE_QUESTIONS else []


def self_check(exam: ExamItem) -> list[str]:
    """An item's own hidden answer (and reference artifact) must earn every rubric item:
    the ones it misses."""
    artifact = None
    if exam.reference_artifact is not None:
        artifact = (library_root() / exam.reference_artifact).read_text()
    attempt = Attempt(
        exam=exam.id,
        candidate="the course",
        answer=exam.hidden_answer,
        artifact=artifact,
        decision=exam.reference_decision,
    )
    return [i.id for i in mark(exam, attempt).items if not i.met_by_matcher]


def with_override(
    attempt: Attempt,
    exam: ExamItem,
    item: str,
    met: bool,
    by: str,
    reason: str,
    at: str | None = None,
) -> Attempt:
    """The attempt with an examiner's mark for one item, signed with the examiner's key."""
    if item not in {r.id for r in exam.rubric}:
        known = [r.id for r in exam.rubric]
        raise InputError("ITEM_ID", "", f"one of the rubric's items {known}, not {item!r}")
    override = Override(item=item, met=met, by=by, reason=reason, at=at or now_iso())
    override.mac = override_mac(attempt, override, signing_key(home()))
    return attempt.model_copy(update={"overrides": [*attempt.overrides, override]})


def override_mac(attempt: Attempt, override: Override, key: bytes) -> str:
    """An override's signature: over the mark, and over the answer, artifact and decision it
    was given for (an override carried onto another answer does not verify)."""
    marked = [attempt.exam, attempt.candidate, attempt.answer, attempt.artifact, attempt.decision]
    fields = override.model_dump(exclude={"mac"})
    message = json.dumps([marked, fields], sort_keys=True).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signed_overrides(attempt: Attempt) -> tuple[list[Override], list[Override]]:
    """(the overrides this examiner's key signed for this answer, the rest): an attempt
    file is written by the candidate (`exam take --out`), so an override in it counts only
    if `exam override` (or the console) signed it."""
    if not attempt.overrides:
        return [], []
    key = signing_key(home())
    signed: list[Override] = []
    unsigned: list[Override] = []
    for override in attempt.overrides:
        good = hmac.compare_digest(override.mac, override_mac(attempt, override, key))
        (signed if good else unsigned).append(override)
    return signed, unsigned
