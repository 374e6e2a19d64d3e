"""Alert rules as prevention answers, judged by Prometheus's own rule engine (promtool):
would the rule have paged, how early, and would it page on a normal day?"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from drills.judge.alerts import credit_rules, judge_rules, load_rule_file, metrics_of
from drills.judge.scoring import references, replay, score
from drills.library.scenario import (
    AlertRule,
    load_key,
    load_scenario,
    resolve_scenario,
    scenario_dirs,
)
from drills.play.transcript import load_transcript
from reports.alerts import timeline_lines
from simulator.errors import InputError
from tests.helpers import RUNS, library_params, speechdrill

HERE = Path(__file__).parent / "alerts"
needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool not installed (apt-get install prometheus)"
)


def rule(name: str, expr: str, for_: str = "0s") -> AlertRule:
    return AlertRule.model_validate({"alert": name, "expr": expr, "for": for_})


def gpu_cost():
    scenario = load_scenario(resolve_scenario("gpu-cost-no-traffic"))
    return scenario, load_key(scenario.directory / "key.yaml", scenario)


def test_a_rule_is_a_prometheus_alerting_rule():
    parsed = AlertRule.model_validate({"alert": "A", "expr": "up == 0", "for": "5m"})
    assert parsed.for_ == "5m" and parsed.model_dump(by_alias=True)["for"] == "5m"
    for bad in (
        {"alert": "A", "expr": "up", "for": "five minutes"},
        {"alert": "a b", "expr": "up"},
    ):
        with pytest.raises(ValueError):
            AlertRule.model_validate(bad)
    assert metrics_of(
        rule("X", "histogram_quantile(0.9, rate(speechdrill_request_latency_seconds_bucket[5m]))")
    ) == {"speechdrill_request_latency_seconds"}


def test_the_firing_timeline_is_drawn_beside_the_fault_the_page_and_the_key():
    entry = {
        "alert": "Mine",
        "end_min": 12,
        "onset_min": 4.0,
        "page_min": 8.0,
        "incident": [6, 7, 8, 9, 10, 11, 12],
        "clean": [],
        "reference": {"alert": "Ref", "incident": [5, 6, 7, 8, 9, 10, 11, 12]},
    }
    assert timeline_lines(entry) == [
        "minute (tens)   ·········1··",
        "fault           ···█████████",
        "page                   ▲",
        "Mine, incident  ·····███████",
        "Mine, no fault  ············",
        "key: Ref        ····████████",
    ]


@needs_promtool
@pytest.mark.slow
@pytest.mark.parametrize("folder", library_params(scenario_dirs()))
def test_every_scenario_has_a_reference_rule_that_pages_early_and_never_on_a_normal_day(folder):
    scenario = load_scenario(folder / "scenario.yaml")
    key = load_key(folder / "key.yaml", scenario)
    rules = [p.rule for p in key.prevention if p.rule is not None]
    assert rules, "every key ships at least one reference alert rule"
    for verdict in judge_rules(scenario, key, rules, RUNS):
        assert verdict.grade == "early", verdict.why()
        assert not verdict.clean
        assert verdict.onset_min <= verdict.first_min <= verdict.page_min


@needs_promtool
def test_cheap_rules_do_not_earn_an_alert_item():
    """What a fair examiner refuses: a rule that always fires, one timed by the clock, one
    on the scenario's script (deploy annotations are not in the input), a copy of a
    credited rule with another threshold (a metric that does not exist is bad input, see
    below); what they credit:
    a rule that pages early (in full) and one that fires only after the page (half)."""
    scenario, key = gpu_cost()
    cheats = {
        "Always": rule("Always", "vector(1)"),
        "Clock": rule("Clock", "vector(time()) > 600"),  # the fault's minute, every day
        "Script": rule("Script", 'speechdrill_event_info{type="deploy"}'),
    }
    good = rule(
        "Fallback", 'sum(rate(speechdrill_requests_total{tags=~".*fallback.*"}[5m])) > 0.5', "2m"
    )
    copy = rule(
        "FallbackAgain", 'sum(rate(speechdrill_requests_total{tags=~".*fallback.*"}[5m])) > 1'
    )
    late = rule("Late", 'sum(speechdrill_cost_usd_per_hour{pool="embed-gpu"}) > 1', "15m")
    verdicts = {
        v.rule.alert: v for v in judge_rules(scenario, key, [*cheats.values(), good, late], RUNS)
    }
    assert verdicts["Always"].grade == "false page" and len(verdicts["Always"].clean) == 44
    assert verdicts["Clock"].grade == "false page"
    assert verdicts["Script"].grade == "silent"
    assert verdicts["Fallback"].grade == "early" and verdicts["Late"].grade == "late"

    def items(*rules: AlertRule) -> float:
        return credit_rules(scenario, key, list(rules), set(), RUNS).items

    assert items(*cheats.values()) == -1.0  # two false pages, half an item each
    assert items(good) == 1.0
    assert items(good, copy) == 1.0  # the same alert twice earns it once
    assert items(late) == 0.5
    credit = credit_rules(scenario, key, [good, late], set(), RUNS)
    assert set(credit.earned) == {"fallback-rate-alarm", "cost-per-request-alert"}
    # a rule for an item the trainee already earned in words takes the next alert item
    taken = credit_rules(scenario, key, [good], {"fallback-rate-alarm"}, RUNS)
    assert set(taken.earned) == {"cost-per-request-alert"}


@needs_promtool
@pytest.mark.slow
def test_prevention_written_as_rules_is_scored_by_whether_it_would_have_paged():
    scenario, key = gpu_cost()
    refs = references(scenario, scenario.directory, RUNS)

    def prevention(name: str):
        result = score(
            replay(scenario, load_transcript(HERE / f"{name}.yaml", scenario), RUNS), key, refs
        )
        return next(line for line in result.breakdown if line.component == "prevention"), result

    line, result = prevention("rules-only")
    assert line.points == pytest.approx(10 / 3)
    assert any(
        e.startswith("fallback-rate-alarm: alert EmbeddingFallback fired") for e in line.evidence
    )
    assert [a["grade"] for a in result.alerts] == ["early"]
    assert result.alerts[0]["reference"]["alert"] == "FallbackShareHigh"
    line, result = prevention("always-firing")
    # the health-check gate in words (1 of 3), less half an item for the false page
    assert line.points == pytest.approx(10 * (1 - 0.5) / 3)
    assert any(e.startswith("false page") for e in line.evidence)


def test_a_rule_over_a_metric_the_export_never_writes_is_bad_input_naming_the_closest(tmp_path):
    """A misspelt metric would leave the alert silent for ever: the names come from the
    telemetry schema, so a rule file names the rule and the metric it meant."""
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "groups:\n- name: mine\n  rules:\n"
        "  - alert: Fine\n    expr: sum(rate(speechdrill_timeouts_per_second[5m])) > 1\n"
        "  - alert: Typo\n    expr: sum(rate(speechdrill_timeout_per_second[5m])) > 1\n"
    )
    with pytest.raises(InputError) as caught:
        load_rule_file(rules)
    assert caught.value.field_path == "groups[0].rules[1].expr"
    assert "speechdrill_timeout_per_second" in caught.value.expected
    assert "did you mean speechdrill_timeouts_per_second?" in caught.value.expected
    with pytest.raises(ValueError, match="no metric speechdrill_no_such_metric"):
        rule("Nothing", "speechdrill_no_such_metric > 0")


@needs_promtool
def test_an_invalid_rule_is_bad_input_naming_it(tmp_path):
    out = speechdrill("drill", "replay", "gpu-cost-no-traffic", str(HERE / "invalid-rule.yaml"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "moves[7].conclude.prevention[0].expr" in out.stderr
    assert "'Broken' is not valid PromQL" in out.stderr and "parse error" in out.stderr
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "groups:\n- name: mine\n  rules:\n"
        "  - alert: Fine\n    expr: up == 0\n"
        "  - alert: Typo\n    expr: rate(speechdrill_requests_total[5m) > 1\n"
    )
    with pytest.raises(InputError) as caught:
        load_rule_file(rules)
    assert caught.value.field_path == "groups[0].rules[1].expr"
    rules.write_text("groups:\n- name: mine\n  rules:\n  - record: x\n    expr: up\n")
    with pytest.raises(InputError) as caught:
        load_rule_file(rules)
    assert "groups[0].rules[0]" in str(caught.value)


@needs_promtool
def test_scenario_alerts_tries_a_rule_file_against_the_incident_and_a_normal_day(tmp_path):
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "groups:\n- name: mine\n  rules:\n"
        "  - alert: VoiceFirstByteSlow\n    for: 1m\n    expr: >-\n"
        "      histogram_quantile(0.9, sum by (le) (rate(\n"
        '        speechdrill_first_audio_byte_seconds_bucket{kind="tts"}[5m]))) > 0.1\n'
    )
    # a sampled scenario: its incident and no-fault runs are the cached ones
    out = speechdrill("scenario", "alerts", "tts-first-audio-byte", "--rules", str(rules), "--json")
    assert out.returncode == 0, out.stderr
    (verdict,) = json.loads(out.stdout)
    assert verdict["grade"] == "early" and verdict["clean"] == []
    assert verdict["onset_min"] == 10.0 and verdict["first_min"] <= verdict["page_min"]
    rules.write_text("groups:\n- name: mine\n  rules:\n  - alert: Always\n    expr: vector(1)\n")
    out = speechdrill("scenario", "alerts", "tts-first-audio-byte", "--rules", str(rules))
    assert out.returncode == 1 and "false page" in out.stdout
