"""Alert rules as prevention answers: would the trainee's alert have paged?

A Prometheus alerting rule is evaluated by Prometheus's own rule engine (`promtool test
rules`), once a minute, over two runs of the scenario exported as OpenMetrics series
(simulator/telemetry/openmetrics.py): the incident as scripted (no trainee moves) and its
no-fault run.
A rule that fires after the fault starts and no later than the page, and never on the
no-fault run nor before the fault, would have paged early; one that fires on the normal run
is a false page. Event annotations are left out of the input: an alert must see the fleet's
symptoms, not the scenario's script.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field

from drills.library.scenario import (
    PROM_DURATION,
    AlertRule,
    AnswerKey,
    LoadedScenario,
    Prevention,
    cause_onsets,
)
from drills.runs.service import Runs
from simulator.errors import InputError
from simulator.spec.fileio import read_yaml, validate_data
from simulator.spec.fleet import Strict
from simulator.telemetry.bundle import Telemetry
from simulator.telemetry.openmetrics import EPOCH_S, PREFIX, openmetrics, read_by

Grade = Literal["early", "late", "silent", "false page"]
INSTALL_HINT = "promtool is not installed (Debian: apt-get install prometheus)"
FAILED_ALERT = re.compile(r"alertname: (r\d+), time: ([0-9hms.]+),")
PROMTOOL_TIMEOUT_S = 120


class PromtoolMissing(RuntimeError):
    pass


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        raise PromtoolMissing(INSTALL_HINT)
    return found


def available() -> bool:
    return shutil.which("promtool") is not None


def _rule_file(rules: list[AlertRule], names: list[str] | None = None) -> str:
    entries = []
    for i, rule in enumerate(rules):
        entry: dict[str, object] = {
            "alert": names[i] if names else rule.alert,
            "expr": rule.expr,
            "for": rule.for_,
        }
        entries.append(entry)
    return yaml.safe_dump({"groups": [{"name": "speechdrill", "rules": entries}]}, sort_keys=False)


def rule_problem(rule: AlertRule) -> str | None:
    """What Prometheus finds wrong with the rule (its parse error), or None."""
    with tempfile.TemporaryDirectory(prefix="speechdrill-rule-") as tmp:
        path = Path(tmp) / "rule.yml"
        path.write_text(_rule_file([rule]))
        done = subprocess.run(
            [promtool(), "check", "rules", str(path)],
            capture_output=True,
            text=True,
            timeout=PROMTOOL_TIMEOUT_S,
        )
    if done.returncode == 0:
        return None
    message = (done.stderr or done.stdout).strip().splitlines()
    text = message[-1] if message else "promtool refused the rule"
    return text.split(f'"{rule.alert}": ', 1)[-1]


class RuleGroup(Strict):
    name: str = Field(min_length=1)
    interval: str | None = Field(None, pattern=PROM_DURATION)
    rules: list[AlertRule] = Field(
        min_length=1, description="alerting rules (recording rules are not scored)"
    )


class RuleFile(Strict):
    """A Prometheus rule file, as `promtool check rules` reads it."""

    groups: list[RuleGroup] = Field(min_length=1)


def load_rule_file(path: Path) -> list[AlertRule]:
    """The alerting rules of a Prometheus rule file (see `rules_in`)."""
    data, node = read_yaml(path)
    return rules_in(data, str(path), node)


def rules_in(data: Any, source: str, node: Any = None) -> list[AlertRule]:
    """The alerting rules of a rule file's content, each checked by promtool: an invalid
    expression is bad input naming the rule and quoting Prometheus's message."""
    if not isinstance(data, dict):
        raise InputError(source, "", "a Prometheus rule file: a mapping with `groups`")
    parsed = validate_data(data, RuleFile, source, node)
    found = [
        (f"groups[{g}].rules[{r}]", rule)
        for g, group in enumerate(parsed.groups)
        for r, rule in enumerate(group.rules)
    ]
    check_rules(found, source)
    return [rule for _, rule in found]


def check_rules(rules: list[tuple[str, AlertRule]], source: str) -> None:
    """Raise an InputError naming the first rule Prometheus cannot parse (field path, and
    Prometheus's own message). Without promtool the rules are checked when scored."""
    if not available():
        return
    for where, rule in rules:
        problem = rule_problem(rule)
        if problem is not None:
            raise InputError(
                source, f"{where}.expr", f"alert {rule.alert!r} is not valid PromQL: {problem}"
            )


def input_series(tel: Telemetry) -> list[dict[str, str]]:
    """The run's exported series in promtool's notation (kept with the run: its rules are
    often judged again with other rules)."""
    return tel.remembered("promtool-series", lambda: _input_series(tel))


def _input_series(tel: Telemetry) -> list[dict[str, str]]:
    """The run's exported series in promtool's notation: one value per metrics interval
    from t = 0, `_` where a series has no sample."""
    step = tel.metrics_interval_s
    text = openmetrics({**tel.tables(), "events": tel.events[:0]}, tel.duration_s)
    samples: dict[str, dict[int, str]] = defaultdict(dict)
    for line in text.splitlines():
        if line.startswith("#") or f"{PREFIX}event_info" in line:
            continue
        head, value, stamp = line.rsplit(" ", 2)
        samples[head][round((float(stamp) - EPOCH_S) / step)] = value
    out = []
    for head in sorted(samples):
        values = samples[head]
        last = max(values)
        out.append(
            {"series": head, "values": " ".join(values.get(i, "_") for i in range(last + 1))}
        )
    return out


def _minutes(duration: str) -> int:
    """A Go duration as promtool prints an evaluation time (`13m`, `1h5m0s`) in minutes."""
    total = 0.0
    for amount, unit in re.findall(r"([0-9.]+)(h|m|s)", duration):
        total += float(amount) * {"h": 60.0, "m": 1.0, "s": 1 / 60}[unit]
    return round(total)


def _unit_test(test: dict[str, Any], rules: str | None = None) -> subprocess.CompletedProcess[str]:
    """`promtool test rules` on a unit-test file (and its rule file), in a scratch folder."""
    with tempfile.TemporaryDirectory(prefix="speechdrill-promtool-") as tmp:
        if rules is not None:
            (Path(tmp) / "rules.yml").write_text(rules)
        # JSON is YAML to promtool, and writes a run's series a hundred times faster
        (Path(tmp) / "test.yml").write_text(json.dumps(test))
        return subprocess.run(
            [promtool(), "test", "rules", "test.yml"],
            capture_output=True,
            text=True,
            cwd=tmp,
            timeout=PROMTOOL_TIMEOUT_S,
        )


def last_minute(duration_s: float) -> int:
    """The last whole minute before the run ends (its final samples are the drain)."""
    return max(1, math.ceil(duration_s / 60.0) - 1)


def firing(tel: Telemetry, rules: list[AlertRule]) -> list[list[int]]:
    """For each rule, the minutes of the run at which Prometheus had it firing."""
    names = [f"r{i}" for i in range(len(rules))]
    end_min = last_minute(tel.duration_s)
    checks = [
        {"eval_time": f"{m}m", "alertname": name, "exp_alerts": []}
        for name in names
        for m in range(1, end_min + 1)
    ]
    step = f"{tel.metrics_interval_s:g}s"
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": step, "input_series": input_series(tel), "alert_rule_test": checks}],
    }
    done = _unit_test(test, _rule_file(rules, names))
    output = done.stdout + done.stderr
    hits = FAILED_ALERT.findall(output)
    if done.returncode != 0 and not hits:
        raise RuntimeError(f"promtool test rules failed: {output.strip()[-2000:]}")
    out: list[list[int]] = [[] for _ in rules]
    for name, when in hits:
        out[int(name[1:])].append(_minutes(when))
    return [sorted(set(m)) for m in out]


GOT = re.compile(r"got: (.*)$", re.M)
SAMPLE = re.compile(r"(\{[^}]*\}) ([-+0-9.eE]+|NaN|[+-]Inf)")


def query(tel: Telemetry, expr: str, at_min: int) -> list[tuple[str, float]]:
    """A PromQL expression evaluated by Prometheus's engine (promtool) over the run's
    series at a minute of the run: (labels, value) per sample. For checks and tests."""
    test = {
        "tests": [
            {
                "interval": f"{tel.metrics_interval_s:g}s",
                "input_series": input_series(tel),
                "promql_expr_test": [{"expr": expr, "eval_time": f"{at_min}m", "exp_samples": []}],
            }
        ]
    }
    done = _unit_test(test)
    found = GOT.search(done.stdout + done.stderr)
    if done.returncode == 0 or found is None:
        return []  # an empty result passes the empty expectation
    return [(labels, float(value)) for labels, value in SAMPLE.findall(found.group(1))]


@dataclass(frozen=True)
class RuleVerdict:
    rule: AlertRule
    incident: tuple[int, ...]  # minutes of the incident run at which it fired
    clean: tuple[int, ...]  # minutes of the no-fault run at which it fired
    onset_min: float
    page_min: float
    end_min: int

    @property
    def first_min(self) -> int | None:
        after = [m for m in self.incident if m >= self.onset_min]
        return after[0] if after else None

    @property
    def grade(self) -> Grade:
        if self.clean or any(m < self.onset_min for m in self.incident):
            return "false page"
        first = self.first_min
        if first is None:
            return "silent"
        return "early" if first <= self.page_min else "late"

    def as_data(self) -> dict[str, object]:
        return {
            "alert": self.rule.alert,
            "expr": self.rule.expr,
            "for": self.rule.for_,
            "grade": self.grade,
            "why": self.why(),
            "first_min": self.first_min,
            "onset_min": self.onset_min,
            "page_min": self.page_min,
            "end_min": self.end_min,
            "incident": list(self.incident),
            "clean": list(self.clean),
        }

    def why(self) -> str:
        name = f"alert {self.rule.alert}"
        if self.grade == "false page":
            where = (
                f"on the no-fault run ({len(self.clean)} of {self.end_min} minutes)"
                if self.clean
                else f"before the fault (minute {self.incident[0]})"
            )
            return f"{name} pages {where}: a false page"
        if self.grade == "silent":
            return f"{name} never fired on the incident"
        first = self.first_min
        assert first is not None
        after = first - self.onset_min
        lead = self.page_min - first
        timing = f"{lead:g} min before the page" if lead > 0 else "with the page"
        if lead < 0:
            timing = f"{-lead:g} min after the page"
        return f"{name} fired {after:g} min after the fault, {timing}; quiet on the no-fault run"


def onset_s(scenario: LoadedScenario, key: AnswerKey) -> float:
    """When the incident starts: its (first) fault's onset, or a compound incident's
    earliest (a rule that sees the second fault is no false page)."""
    return min(cause_onsets(scenario, key))


def judge_rules(
    scenario: LoadedScenario, key: AnswerKey, rules: list[AlertRule], runs: Runs
) -> list[RuleVerdict]:
    """Each rule's firing on the incident and the no-fault run, and its grade (kept with
    the incident's run: checked once, when first judged, not on every score that reuses
    it)."""
    if not rules:
        return []
    incident = runs.get(scenario, scenario.timeline)
    parts = [key.model_dump_json(), *(r.model_dump_json() for r in rules)]
    memo = "verdicts:" + hashlib.sha256("|".join(parts).encode()).hexdigest()

    def judged() -> tuple[RuleVerdict, ...]:
        check_rules([(f"prevention[{i}]", r) for i, r in enumerate(rules)], "alert rules")
        clean = runs.get(scenario, [])
        on_incident, on_clean = firing(incident, rules), firing(clean, rules)
        return tuple(
            RuleVerdict(
                rule,
                tuple(a),
                tuple(b),
                onset_s(scenario, key) / 60.0,
                scenario.spec.clock.start_s / 60.0,
                last_minute(incident.duration_s),
            )
            for rule, a, b in zip(rules, on_incident, on_clean, strict=True)
        )

    return list(incident.remembered(memo, judged))


def metrics_of(rule: AlertRule) -> set[str]:
    """The exported metric families a rule reads (histogram suffixes folded)."""
    return read_by(rule.expr)


FALSE_PAGE_COST = 0.5  # of a prevention item: an alert that pages on a normal day costs trust
LATE_CREDIT = 0.5  # an alert that fires only after the page adds little to it


@dataclass
class RuleCredit:
    items: float = 0.0  # prevention items earned by rules, net of false pages
    earned: dict[str, str] = field(default_factory=dict)  # item id: why
    refused: list[str] = field(default_factory=list)
    note: str = ""
    report: list[dict[str, object]] = field(default_factory=list)


def _item_for(rule: AlertRule, open_items: list[Prevention]) -> Prevention | None:
    """The open alert item the rule answers: one whose reference rule reads a metric the
    rule reads, else the first open one."""
    mine = metrics_of(rule)
    for item in open_items:
        if item.rule is not None and mine & metrics_of(item.rule):
            return item
    return open_items[0] if open_items else None


def credit_rules(
    scenario: LoadedScenario,
    key: AnswerKey,
    rules: list[AlertRule],
    taken: set[str],
    runs: Runs,
) -> RuleCredit:
    """Prevention credit for alert rules: one that pages early (after the fault, by the
    page, never on the no-fault run) earns an alert item of the key outright, a late one
    half; each false page costs half an item; a second rule over the same metrics as one
    already credited earns nothing more."""
    out = RuleCredit()
    if not rules:
        return out
    references = [p for p in key.prevention if p.rule is not None]
    try:
        verdicts = judge_rules(scenario, key, rules + [p.rule for p in references if p.rule], runs)
    except PromtoolMissing:
        out.note = f"{len(rules)} alert rule(s) not evaluated: {INSTALL_HINT}"
        return out
    theirs = dict(zip([p.id for p in references], verdicts[len(rules) :], strict=True))
    open_items = [p for p in references if p.id not in taken]
    credited: list[set[str]] = []
    for verdict in verdicts[: len(rules)]:
        out.report.append(_report_entry(verdict, _item_for(verdict.rule, references), theirs))
        grade, why = verdict.grade, verdict.why()
        if grade == "false page":
            out.items -= FALSE_PAGE_COST
            out.refused.append(f"false page, −{FALSE_PAGE_COST:g} item: {why}")
            continue
        if grade == "silent":
            out.refused.append(f"not counted: {why}")
            continue
        metrics = metrics_of(verdict.rule)
        item = _item_for(verdict.rule, open_items)
        if item is None or metrics in credited:
            out.refused.append(f"not counted: {why}; it adds no alert item not already credited")
            continue
        open_items.remove(item)
        credited.append(metrics)
        share = 1.0 if grade == "early" else LATE_CREDIT
        out.items += share
        out.earned[item.id] = why + ("" if share == 1.0 else f" (late: ×{LATE_CREDIT:g})")
    return out


def _report_entry(
    verdict: RuleVerdict, nearest: Prevention | None, references: dict[str, RuleVerdict]
) -> dict[str, object]:
    """A rule's verdict for the report, beside the key's nearest reference rule."""
    entry = verdict.as_data()
    if nearest is not None and nearest.rule is not None:
        reference = references[nearest.id]
        entry["reference"] = {
            "item": nearest.id,
            "alert": nearest.rule.alert,
            "expr": nearest.rule.expr,
            "for": nearest.rule.for_,
            "incident": list(reference.incident),
        }
    return entry
