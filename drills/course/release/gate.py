"""The ASR slice gate (the course's Exercise 1) and the release manifest (Prompt 4).

A pull request that changes an ASR model is judged slice by slice, never on global WER
alone:

- a **protected** slice whose WER (or entity error) rose past its budget **blocks** the
  merge, however much the global figure improved;
- an unprotected slice past its budget **pauses** it for a human;
- a slice the budgets name, or the baseline measured, that either side lacks **pauses** it:
  eval coverage cannot silently disappear;
- latency and memory past their global budgets **block**;
- a release manifest missing an item of the gate list pauses; a failed item blocks;
- otherwise: merge.

The verdict is the worst finding's. Exit codes (drills/cli/gate.py): 0 merge, 4 pause,
1 block, 2 bad input.
"""

from __future__ import annotations

import csv
import difflib
import math
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, NonNegativeInt, PositiveInt, PrivateAttr, field_validator

from simulator.errors import InputError
from simulator.spec.fileio import read_yaml, validate_data
from simulator.spec.fleet import NonNeg, Strict
from simulator.telemetry.schema import EVAL_METRICS

NonNegInt = NonNegativeInt
PosInt = PositiveInt
Z95 = 1.959964  # the normal quantile of a two-sided 95% interval
RESAMPLES = 2000  # bootstrap resamples: the interval's ends move by < 0.002 between runs

Verdict = Literal["merge", "pause", "block"]
RANK: dict[str, int] = {"merge": 0, "pause": 1, "block": 2}


def _about(name: str) -> str:
    unit, meaning = EVAL_METRICS[name]
    return f"{meaning} ({unit})" if unit else meaning


class SliceMetrics(Strict):
    """One slice's eval: the names and units are the telemetry schema's (EVAL_METRICS)."""

    wer: NonNeg = Field(description=_about("wer"))
    entity_error: NonNeg | None = Field(None, description=_about("entity_error"))
    latency_ms: NonNeg | None = Field(None, description=_about("latency_ms"))
    memory_mb: NonNeg | None = Field(None, description=_about("memory_mb"))
    rtf: NonNeg | None = Field(None, description=_about("rtf"))
    n: int | None = Field(None, ge=1, description=_about("n"))
    words: int | None = Field(None, ge=1, description=_about("words"))
    wer_low: NonNeg | None = Field(None, description=_about("wer_low"))
    wer_high: NonNeg | None = Field(None, description=_about("wer_high"))
    per_utterance: dict[str, tuple[NonNegInt, PosInt]] | None = Field(
        None, description=_about("per_utterance")
    )

    def standard_error(self) -> float | None:
        """One standard error of the WER: from its interval, else binomial over its words
        (which understates it: errors cluster within utterances), else unknown."""
        if self.wer_low is not None and self.wer_high is not None:
            return (self.wer_high - self.wer_low) / (2 * Z95)
        if self.words:
            p = min(self.wer, 1.0)
            return math.sqrt(p * (1.0 - p) / self.words)
        return None

    @field_validator("wer", "entity_error", "latency_ms", "memory_mb", "rtf", mode="before")
    @classmethod
    def _a_number(cls, value: Any) -> Any:
        """NaN or an infinity is not a measurement (pydantic would call NaN negative)."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            return value  # pydantic says what it expected
        if not math.isfinite(number):
            raise ValueError("not a number: a measured value was expected")
        return value


class MetricMap(Strict):
    """One model's eval: metrics by slice (a JSON/YAML file, or CSV with a `slice` column)."""

    model: str = ""
    interval: str = Field("", description="how the slices' intervals were found")
    slices: dict[str, SliceMetrics] = Field(min_length=1)
    _source: str = PrivateAttr("")  # the file it was read from, to name it in errors

    def global_wer(self) -> float:
        """The aggregate a dashboard shows: WER weighted by utterances where given."""
        weights = [m.n or 1 for m in self.slices.values()]
        total = sum(m.wer * w for m, w in zip(self.slices.values(), weights, strict=True))
        return total / sum(weights)

    def worst(self, field: str) -> float | None:
        values = [getattr(m, field) for m in self.slices.values()]
        known = [v for v in values if v is not None]
        return max(known) if known else None


class SliceBudget(Strict):
    max_wer_delta: NonNeg = Field(description="the WER rise allowed (absolute, 0-1)")
    max_entity_error_delta: NonNeg | None = None
    protected: bool = Field(False, description="over budget blocks, not pauses")


class Budgets(Strict):
    slices: dict[str, SliceBudget] = Field(
        min_length=1, description="every slice the gate must see, with its budget"
    )
    default: SliceBudget | None = Field(None, description="for measured slices not listed")
    max_latency_ms: NonNeg | None = Field(None, description="the candidate's worst-slice p95")
    max_latency_increase: NonNeg | None = Field(
        None, description="relative rise of the worst-slice p95 allowed (0.1 = 10%)"
    )
    max_memory_mb: NonNeg | None = None


Status = Literal["passed", "failed"]


class ManifestItem(Strict):
    status: Status
    evidence: str = Field("", description="a link, path or ticket that shows it")


# Prompt 4's gate list: what must pass before a model and feature change reaches production
GATE_LIST: dict[str, str] = {
    "feature_shape_tests": "unit tests for feature shapes (and normalisation)",
    "sample_rate_tests": "unit tests for sample-rate handling",
    "deterministic_eval": "a deterministic eval on approved fixtures",
    "slice_regression": "slice regression checks (this gate)",
    "latency_benchmark": "latency benchmarks",
    "memory_benchmark": "memory benchmarks",
    "artifact_version": "the artifact versioned (weights and feature config together)",
    "lockfile": "a dependency lockfile",
    "model_card": "a model card",
    "rollback_plan": "a rollback plan",
    "privacy_review": "a privacy review",
}


class Manifest(Strict):
    """A release manifest: each item of the gate list with its status and evidence."""

    release: str = ""
    items: dict[str, ManifestItem] = Field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    verdict: Verdict
    what: str  # a slice, "latency", "memory" or a manifest item
    why: str


@dataclass(frozen=True)
class SliceRow:
    """One slice of the report: both WERs with their intervals, the change with its own,
    and the budget it is judged against."""

    slice: str
    baseline: float
    candidate: float
    baseline_interval: tuple[float, float] | None
    candidate_interval: tuple[float, float] | None
    delta_interval: tuple[float, float] | None
    budget: float | None


@dataclass
class GateResult:
    verdict: Verdict
    findings: list[Finding]
    global_wer: tuple[float, float]  # baseline, candidate
    slices: list[SliceRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "global_wer": {"baseline": self.global_wer[0], "candidate": self.global_wer[1]},
            "findings": [asdict(f) for f in self.findings],
            "slices": [asdict(r) for r in self.slices],
        }


def _slice_findings(
    name: str, budget: SliceBudget, baseline: MetricMap, candidate: MetricMap
) -> list[Finding]:
    old, new = baseline.slices.get(name), candidate.slices.get(name)
    if old is None or new is None:
        side, lacking = ("baseline", baseline) if old is None else ("candidate", candidate)
        why = f"missing eval slice: the {side} has no {name!r}" + _look_alike(name, lacking)
        return [Finding("pause", name, why)]
    over: Verdict = "block" if budget.protected else "pause"
    kind = "protected slice" if budget.protected else "slice"
    out = []
    delta, allowed = new.wer - old.wer, budget.max_wer_delta
    interval = delta_interval(name, old, new)
    shown = "" if interval is None else f", 95% CI {interval[0]:+.3f}…{interval[1]:+.3f}"
    change = f"WER {old.wer:.3f} → {new.wer:.3f} ({delta:+.3f}{shown}, budget +{allowed:g})"
    if delta > allowed + 1e-12:
        if interval is not None and interval[0] <= allowed:
            why = f"{kind}: within noise: {change}; the rise may be sampling error: a human decides"
            out.append(Finding("pause", name, why))
        else:
            out.append(Finding(over, name, f"{kind}: {change}"))
    elif interval is not None and (interval[1] - interval[0]) / 2 > allowed:
        half = (interval[1] - interval[0]) / 2
        more = math.ceil((half / allowed) ** 2) if allowed > 0 else None
        need = f"; about {more}× the utterances would resolve it" if more else ""
        why = (
            f"{kind}: too small to gate: {change}: its noise (±{half:.3f}) exceeds the budget{need}"
        )
        out.append(Finding("pause", name, why))
    limit = budget.max_entity_error_delta
    if limit is not None and old.entity_error is not None and new.entity_error is not None:
        rise = new.entity_error - old.entity_error
        if rise > limit + 1e-12:
            out.append(Finding(over, name, f"{kind}: entity error +{rise:.3f} (budget +{limit:g})"))
    return out


def normalised(name: str) -> str:
    """A slice name as a reader sees it: Unicode compatibility forms, case, and every dash,
    underscore or space as one hyphen."""
    folded = unicodedata.normalize("NFKC", name).casefold().strip()
    return "".join("-" if unicodedata.category(c) == "Pd" or c in "_ " else c for c in folded)


def _look_alike(name: str, lacking: MetricMap) -> str:
    """The key the map has that was probably meant: the same name in another case or
    Unicode form, else the closest spelling."""
    same = [k for k in lacking.slices if normalised(k) == normalised(name)]
    if same:
        return f" (it has {same[0]!r}: the same name in another case or Unicode form)"
    close = difflib.get_close_matches(name, list(lacking.slices), n=1, cutoff=0.6)
    return f" (closest key present: {close[0]!r})" if close else ""


def unit_problem(baseline: MetricMap, candidate: MetricMap) -> InputError | None:
    """A WER (or entity error) outside [0, 1] on one side and inside on the other: one map
    is in percent, the other in fractions, and comparing them would be meaningless."""
    sources = (baseline._source or "baseline", candidate._source or "candidate")
    for name in baseline.slices.keys() & candidate.slices.keys():
        for metric in ("wer", "entity_error"):
            old = getattr(baseline.slices[name], metric)
            new = getattr(candidate.slices[name], metric)
            if old is None or new is None or (old > 1) == (new > 1):
                continue
            return InputError(
                f"{sources[0]} and {sources[1]}",
                f"slices.{name}.{metric}",
                f"one unit on both sides: {old:g} in {sources[0]} and {new:g} in "
                f"{sources[1]} (one in percent, one a fraction?); write both as fractions "
                "of words (0-1)",
            )
    return None


# --- sampling error ---------------------------------------------------------------------


def _rng(*parts: str) -> np.random.Generator:
    """A generator seeded by names: the same maps give the same intervals, run to run."""
    import hashlib

    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def bootstrap_wer(
    per_utterance: dict[str, tuple[int, int]], name: str, resamples: int = RESAMPLES
) -> tuple[float, float]:
    """95% interval of a slice's WER by bootstrap over its utterances (the unit that was
    sampled: errors cluster within an utterance, so words are not independent)."""
    errors, words = np.array(list(per_utterance.values()), dtype=float).T
    pick = _rng("wer", name).integers(0, len(errors), size=(resamples, len(errors)))
    wer = errors[pick].sum(axis=1) / words[pick].sum(axis=1)
    low, high = np.percentile(wer, [2.5, 97.5])
    return float(low), float(high)


def delta_interval(name: str, old: SliceMetrics, new: SliceMetrics) -> tuple[float, float] | None:
    """95% interval of the WER's change: a paired bootstrap over the utterances both maps
    scored (the same audio through two models: most utterances change by nothing), else
    from the two sides' standard errors as independent samples, else unknown."""
    if old.per_utterance and new.per_utterance:
        both = sorted(old.per_utterance.keys() & new.per_utterance.keys())
        if len(both) >= 2:
            a = np.array([old.per_utterance[k] for k in both], dtype=float)
            b = np.array([new.per_utterance[k] for k in both], dtype=float)
            pick = _rng("delta", name).integers(0, len(both), size=(RESAMPLES, len(both)))
            delta = b[pick, 0].sum(axis=1) / b[pick, 1].sum(axis=1) - a[pick, 0].sum(axis=1) / a[
                pick, 1
            ].sum(axis=1)
            low, high = np.percentile(delta, [2.5, 97.5])
            return float(low), float(high)
    se_old, se_new = old.standard_error(), new.standard_error()
    if se_old is None or se_new is None:
        return None
    half = Z95 * math.hypot(se_old, se_new)
    change = new.wer - old.wer
    return change - half, change + half


def _resource_findings(
    budgets: Budgets, baseline: MetricMap, candidate: MetricMap
) -> list[Finding]:
    out = []
    new_latency, old_latency = candidate.worst("latency_ms"), baseline.worst("latency_ms")
    cap, rise = budgets.max_latency_ms, budgets.max_latency_increase
    if cap is not None and new_latency is not None and new_latency > cap:
        why = f"worst-slice p95 {new_latency:.0f} ms over {cap:g} ms"
        out.append(Finding("block", "latency", why))
    if rise is not None and new_latency and old_latency and new_latency > old_latency * (1 + rise):
        why = (
            f"worst-slice p95 {old_latency:.0f} → {new_latency:.0f} ms "
            f"(+{new_latency / old_latency - 1:.0%}, budget +{rise:.0%})"
        )
        out.append(Finding("block", "latency", why))
    memory, most = candidate.worst("memory_mb"), budgets.max_memory_mb
    if most is not None and memory is not None and memory > most:
        out.append(Finding("block", "memory", f"{memory:.0f} MB over {most:g} MB"))
    return out


def manifest_findings(manifest: Manifest) -> list[Finding]:
    """Missing items of the gate list pause (named together); failed items block."""
    out = [
        Finding("block", item, f"{GATE_LIST.get(item, item)}: failed ({entry.evidence})")
        for item, entry in manifest.items.items()
        if entry.status == "failed"
    ]
    missing = [item for item in GATE_LIST if item not in manifest.items]
    if missing:
        out.append(
            Finding("pause", "manifest", "missing from the gate list: " + ", ".join(missing))
        )
    return out


def judge(
    baseline: MetricMap, candidate: MetricMap, budgets: Budgets, manifest: Manifest | None = None
) -> GateResult:
    problem = unit_problem(baseline, candidate)
    if problem is not None:
        raise problem
    findings: list[Finding] = []
    for name, budget in budgets.slices.items():
        findings += _slice_findings(name, budget, baseline, candidate)
    listed = set(budgets.slices)
    for name in sorted((set(baseline.slices) | set(candidate.slices)) - listed):
        if budgets.default is not None:
            findings += _slice_findings(name, budgets.default, baseline, candidate)
        elif name not in candidate.slices:
            findings.append(
                Finding("pause", name, f"missing eval slice: the candidate lost {name!r}")
            )
    findings += _resource_findings(budgets, baseline, candidate)
    if manifest is not None:
        findings += manifest_findings(manifest)
    worst: Verdict = max((f.verdict for f in findings), key=RANK.__getitem__, default="merge")
    findings.sort(key=lambda f: -RANK[f.verdict])
    rows = slice_rows(baseline, candidate, budgets)
    return GateResult(worst, findings, (baseline.global_wer(), candidate.global_wer()), rows)


def slice_rows(baseline: MetricMap, candidate: MetricMap, budgets: Budgets) -> list[SliceRow]:
    """The slices both sides measured, with their intervals (the report's table)."""
    rows = []
    for name in [n for n in baseline.slices if n in candidate.slices]:
        old, new = baseline.slices[name], candidate.slices[name]
        budget = budgets.slices.get(name) or budgets.default
        rows.append(
            SliceRow(
                name,
                old.wer,
                new.wer,
                _interval_of(old),
                _interval_of(new),
                delta_interval(name, old, new),
                None if budget is None else budget.max_wer_delta,
            )
        )
    return rows


def _interval_of(metrics: SliceMetrics) -> tuple[float, float] | None:
    if metrics.wer_low is not None and metrics.wer_high is not None:
        return (metrics.wer_low, metrics.wer_high)
    se = metrics.standard_error()
    return None if se is None else (max(metrics.wer - Z95 * se, 0.0), metrics.wer + Z95 * se)


# --- files ------------------------------------------------------------------------------


def load_metric_map(path: Path) -> MetricMap:
    """A metric map from JSON or YAML (`{slices: {name: {wer: ...}}}`, or the slices
    mapping alone as the course's sketch has it) or CSV (a `slice` column)."""
    if path.suffix.lower() == ".csv":
        found = validate_data({"slices": _csv_slices(path)}, MetricMap, str(path), None)
    else:
        data, node = read_yaml(path)  # JSON is YAML too, with line numbers
        if not isinstance(data, dict):
            raise InputError(str(path), "", "a mapping of slices to metrics")
        if "slices" not in data:
            data = {"slices": data}
        found = validate_data(data, MetricMap, str(path), node)
    found._source = str(path)
    return found


def _csv_slices(path: Path) -> dict[str, dict[str, Any]]:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "slice" not in rows[0]:
        raise InputError(str(path), "slice", "a CSV header with a `slice` column and `wer`")
    out: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(rows, start=2):
        name = (row.pop("slice") or "").strip()
        if not name:
            raise InputError(str(path), "slice", "a slice name on every row", number)
        out[name] = {k: _number(v, path, k, number) for k, v in row.items() if v not in ("", None)}
    return out


def _number(text: str, path: Path, column: str, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(str(path), column, f"a number, not {text!r}", line) from None


def load_budgets(path: Path) -> Budgets:
    data, node = read_yaml(path)
    return validate_data(data, Budgets, str(path), node)


def load_manifest(path: Path) -> Manifest:
    data, node = read_yaml(path)
    manifest = validate_data(data, Manifest, str(path), node)
    unknown = sorted(set(manifest.items) - set(GATE_LIST))
    if unknown:
        raise InputError(
            str(path), f"items.{unknown[0]}", f"an item of the gate list: {sorted(GATE_LIST)}"
        )
    return manifest
