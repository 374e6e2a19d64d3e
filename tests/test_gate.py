"""The ASR slice gate: the course's cases, properties a CI can lean on, and its files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drills.course.release.gate import (
    GATE_LIST,
    Budgets,
    Manifest,
    ManifestItem,
    MetricMap,
    SliceBudget,
    judge,
    load_metric_map,
)
from simulator.errors import InputError
from tests.helpers import speechdrill

RELEASE = Path(__file__).parents[1] / "scenarios" / "release"


def metrics(**wer: float) -> MetricMap:
    return MetricMap.model_validate({"slices": {k: {"wer": v} for k, v in wer.items()}})


BUDGETS = Budgets(
    slices={
        "clean": SliceBudget(max_wer_delta=0.01),
        "domain": SliceBudget(max_wer_delta=0.01, protected=True),
    }
)


def test_global_better_but_a_protected_slice_worse_blocks():
    baseline = metrics(clean=0.10, domain=0.12)
    candidate = metrics(clean=0.05, domain=0.14)
    result = judge(baseline, candidate, BUDGETS)
    assert result.global_wer[1] < result.global_wer[0]  # the aggregate improved
    assert result.verdict == "block"
    assert [(f.verdict, f.what) for f in result.findings] == [("block", "domain")]


def test_a_missing_slice_pauses_from_either_side():
    assert judge(metrics(clean=0.1), metrics(clean=0.1, domain=0.1), BUDGETS).verdict == "pause"
    result = judge(metrics(clean=0.1, domain=0.1), metrics(clean=0.1), BUDGETS)
    assert result.verdict == "pause" and "missing eval slice" in result.findings[0].why
    # a measured slice the budgets do not name may not vanish either
    lost = judge(metrics(clean=0.1, domain=0.1, kids=0.2), metrics(clean=0.1, domain=0.1), BUDGETS)
    assert lost.verdict == "pause" and lost.findings[0].what == "kids"


def test_all_within_budget_merges_and_an_unprotected_regression_pauses():
    assert (
        judge(metrics(clean=0.1, domain=0.1), metrics(clean=0.105, domain=0.11), BUDGETS).verdict
        == "merge"
    )
    assert (
        judge(metrics(clean=0.1, domain=0.1), metrics(clean=0.2, domain=0.1), BUDGETS).verdict
        == "pause"
    )


def test_latency_memory_and_the_manifest():
    def with_resources(latency: float, memory: float) -> MetricMap:
        return MetricMap.model_validate(
            {
                "slices": {
                    s: {"wer": 0.1, "latency_ms": latency, "memory_mb": memory}
                    for s in ("clean", "domain")
                }
            }
        )

    budgets = BUDGETS.model_copy(update={"max_latency_increase": 0.1, "max_memory_mb": 2000})
    assert judge(with_resources(100, 1500), with_resources(109, 1900), budgets).verdict == "merge"
    slower = judge(with_resources(100, 1500), with_resources(120, 1900), budgets)
    assert slower.verdict == "block" and slower.findings[0].what == "latency"
    assert judge(with_resources(100, 1500), with_resources(100, 2100), budgets).verdict == "block"
    complete = Manifest(items={k: ManifestItem(status="passed") for k in GATE_LIST})
    same = metrics(clean=0.1, domain=0.1)
    assert judge(same, same, BUDGETS, complete).verdict == "merge"
    partial = Manifest(items={k: v for k, v in complete.items.items() if k != "privacy_review"})
    paused = judge(same, same, BUDGETS, partial)
    assert paused.verdict == "pause" and "privacy_review" in paused.findings[0].why
    failed = complete.model_copy(deep=True)
    failed.items["deterministic_eval"] = ManifestItem(status="failed", evidence="run 7")
    assert judge(same, same, BUDGETS, failed).verdict == "block"


slices = st.dictionaries(
    st.sampled_from(["clean", "domain", "noisy", "kids", "far"]),
    st.floats(0.0, 0.6, allow_nan=False),
    min_size=1,
)


def budgets_for(names, protected) -> Budgets:
    return Budgets(
        slices={n: SliceBudget(max_wer_delta=0.01, protected=n in protected) for n in names}
    )


@settings(max_examples=150, deadline=None)
@given(
    slices, st.floats(0.0, 0.3), st.sets(st.sampled_from(["clean", "domain", "noisy"])), st.data()
)
def test_adding_a_regression_never_turns_block_into_merge(base, rise, protected, data):
    budgets = budgets_for(base, protected)
    candidate = dict(base)
    before = judge(metrics(**base), metrics(**candidate), budgets).verdict
    victim = data.draw(st.sampled_from(sorted(base)))
    candidate[victim] += rise
    after = judge(metrics(**base), metrics(**candidate), budgets).verdict
    order = ["merge", "pause", "block"]
    assert order.index(after) >= order.index(before)


@settings(max_examples=150, deadline=None)
@given(slices, st.data())
def test_removing_a_slice_never_merges(base, data):
    if len(base) < 2:
        return
    victim = data.draw(st.sampled_from(sorted(base)))
    candidate = {k: v for k, v in base.items() if k != victim}
    assert judge(metrics(**base), metrics(**candidate), budgets_for(base, set())).verdict != "merge"
    # nor with no budget naming it
    named = budgets_for(candidate, set())
    assert judge(metrics(**base), metrics(**candidate), named).verdict != "merge"


def test_metric_maps_read_from_json_yaml_csv_and_the_course_shape(tmp_path):
    (tmp_path / "a.csv").write_text("slice,wer,latency_ms\nclean,0.05,120\ndomain,0.12,\n")
    loaded = load_metric_map(tmp_path / "a.csv")
    assert loaded.slices["clean"].latency_ms == 120 and loaded.slices["domain"].latency_ms is None
    (tmp_path / "b.json").write_text(json.dumps({"clean": {"wer": 0.05}}))  # the sketch's shape
    assert load_metric_map(tmp_path / "b.json").slices["clean"].wer == 0.05
    (tmp_path / "c.csv").write_text("slice,wer\nclean,lots\n")
    with pytest.raises(InputError) as caught:
        load_metric_map(tmp_path / "c.csv")
    assert caught.value.field_path == "wer" and caught.value.line == 2
    (tmp_path / "d.json").write_text('{"slices": {"clean": {"wer": 0.1, "werr": 2}}}')
    with pytest.raises(InputError) as caught:
        load_metric_map(tmp_path / "d.json")
    assert "slices.clean.werr" in str(caught.value)


def test_the_command_exits_as_a_ci_job_branches(tmp_path):
    shipped = [str(RELEASE / f) for f in ("asr-baseline.json", "asr-candidate.json")]
    budgets = ["--budgets", str(RELEASE / "asr-budgets.yaml")]
    blocked = speechdrill("gate", *shipped, *budgets, "--json")
    assert blocked.returncode == 1, blocked.stderr
    result = json.loads(blocked.stdout)
    assert result["verdict"] == "block"
    assert result["global_wer"]["candidate"] < result["global_wer"]["baseline"]
    assert result["findings"][0]["what"] == "domain-terms"
    same = speechdrill("gate", shipped[0], shipped[0], *budgets)
    assert same.returncode == 0 and "verdict: merge" in same.stdout
    manifest = ["--manifest", str(RELEASE / "asr-manifest.yaml")]
    paused = speechdrill("gate", shipped[0], shipped[0], *budgets, *manifest)
    assert paused.returncode == 4 and "rollback_plan, privacy_review" in paused.stdout
    (tmp_path / "bad.yaml").write_text("slices:\n  clean: {max_wer_delta: -1}\n")
    bad = speechdrill("gate", *shipped, "--budgets", str(tmp_path / "bad.yaml"))
    assert bad.returncode == 2 and "slices.clean.max_wer_delta" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_wer_in_percent_against_one_in_fractions_is_bad_input_naming_both(tmp_path):
    """6.1 (percent) against 0.061 (a fraction) must not merge, nor block on "+5.739":
    either way round it is bad input naming the slice and both files."""
    percent, fraction = tmp_path / "percent.json", tmp_path / "fraction.json"
    percent.write_text(json.dumps({"slices": {"clean": {"wer": 6.1}, "domain": {"wer": 12}}}))
    fraction.write_text(json.dumps({"slices": {"clean": {"wer": 0.061}, "domain": {"wer": 0.1}}}))
    budgets = tmp_path / "budgets.yaml"
    budgets.write_text("slices:\n  clean: {max_wer_delta: 0.01}\n  domain: {max_wer_delta: 0.01}\n")
    for pair in ((percent, fraction), (fraction, percent)):
        out = speechdrill("gate", *map(str, pair), "--budgets", str(budgets))
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        assert "percent.json" in out.stderr and "fraction.json" in out.stderr
        assert "slices.clean.wer" in out.stderr or "slices.domain.wer" in out.stderr
    with pytest.raises(InputError, match="one unit on both sides"):
        judge(metrics(clean=0.05, domain=0.1), metrics(clean=0.05, domain=10.0), BUDGETS)


@settings(max_examples=60, deadline=None)
@given(slices, st.floats(0.0, 0.3))
def test_maps_in_one_unit_are_never_refused_for_units(base, rise):
    candidate = {k: min(v + rise, 1.0) for k, v in base.items()}
    judge(metrics(**base), metrics(**candidate), budgets_for(base, set()))  # raises nothing


@pytest.mark.parametrize(
    ("written", "suffix"),
    [
        ('{"slices": {"kids": {"wer": NaN}}}', ".json"),
        ("kids: {wer: .inf}\n", ".yaml"),
        ("slice,wer\nkids,nan\n", ".csv"),
        ('{"slices": {"kids": {"wer": -Infinity}}}', ".json"),
    ],
)
def test_nan_and_infinities_are_not_a_number_naming_the_slice(tmp_path, written, suffix):
    path = tmp_path / f"map{suffix}"
    path.write_text(written)
    with pytest.raises(InputError) as caught:
        load_metric_map(path)
    assert caught.value.field_path.endswith("wer")
    assert "not a number" in caught.value.expected
    assert "kids" in caught.value.field_path or suffix == ".csv"
    out = speechdrill("gate", str(path), str(path), "--budgets", str(RELEASE / "asr-budgets.yaml"))
    assert out.returncode == 2 and "not a number" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("spelt", "hint"),
    [
        ("ES-EN", "another case or Unicode form"),
        ("es\u2010en", "another case or Unicode form"),  # a Unicode hyphen
        ("\uff45\uff53-\uff45\uff4e", "another case or Unicode form"),  # full-width letters
        ("es_en", "another case or Unicode form"),
        ("es-enn", "closest key present"),
    ],
)
def test_a_missing_budgeted_slice_names_the_look_alike_the_map_has(spelt, hint):
    budgets = Budgets(slices={"es-en": SliceBudget(max_wer_delta=0.01, protected=True)})
    result = judge(metrics(**{"es-en": 0.2}), metrics(**{spelt: 0.2}), budgets)
    assert result.verdict == "pause"
    why = next(f.why for f in result.findings if f.what == "es-en")
    assert why.startswith("missing eval slice: the candidate has no 'es-en' (")
    assert repr(spelt) in why and hint in why


def test_the_slice_metrics_are_the_schemas_eval_metrics():
    from drills.course.release.gate import SliceMetrics
    from simulator.telemetry.schema import EVAL_METRICS

    assert set(SliceMetrics.model_fields) == set(EVAL_METRICS)


def sampled(wer_by_utterance: dict[str, tuple[int, int]]) -> dict:
    errors = sum(e for e, _ in wer_by_utterance.values())
    words = sum(w for _, w in wer_by_utterance.values())
    return {"wer": errors / words, "words": words, "per_utterance": wer_by_utterance}


def test_a_regression_within_its_noise_pauses_and_a_clear_one_blocks():
    """Paired bootstrap over the utterances both models decoded: one utterance losing a
    few words is within noise (a human decides); every utterance losing words is not."""
    base = {f"u{i}": (1, 10) for i in range(20)}
    one_worse = {**base, "u0": (4, 10)}  # +3 words on 200: +0.015 WER, all in one utterance
    all_worse = {k: (2, 10) for k in base}  # +1 word on each: +0.10 WER
    budgets = Budgets(slices={"domain": SliceBudget(max_wer_delta=0.01, protected=True)})

    def gate(candidate: dict) -> tuple[str, str]:
        old = MetricMap.model_validate({"slices": {"domain": sampled(base)}})
        new = MetricMap.model_validate({"slices": {"domain": sampled(candidate)}})
        result = judge(old, new, budgets)
        return result.verdict, " ".join(f.why for f in result.findings)

    verdict, why = gate(one_worse)
    assert verdict == "pause" and "within noise" in why and "95% CI" in why
    verdict, why = gate(all_worse)
    assert verdict == "block" and "within noise" not in why
    assert gate(base) == ("merge", "")  # no change on any utterance: nothing to resolve


def test_a_slice_too_small_to_gate_is_flagged_with_the_growth_it_needs():
    """Two utterances cannot resolve a budget of +0.01 even when the WER did not move."""
    old = MetricMap.model_validate({"slices": {"kids": {"wer": 0.2, "words": 16}}})
    new = MetricMap.model_validate({"slices": {"kids": {"wer": 0.2, "words": 16}}})
    result = judge(old, new, Budgets(slices={"kids": SliceBudget(max_wer_delta=0.01)}))
    assert result.verdict == "pause"
    why = result.findings[0].why
    assert why.startswith("slice: too small to gate") and "the utterances would resolve" in why
    # without a sample size the gate cannot know, and judges as before
    plain = judge(metrics(kids=0.2), metrics(kids=0.2), budgets_for(["kids"], set()))
    assert plain.verdict == "merge"


def test_the_report_carries_each_slices_interval(tmp_path):
    half = {f"u{i}": (i % 3, 8) for i in range(30)}
    data = {"interval": "95% bootstrap over utterances", "slices": {"clean": sampled(half)}}
    path = tmp_path / "map.json"
    path.write_text(json.dumps(data))
    budgets = tmp_path / "b.yaml"
    budgets.write_text("slices:\n  clean: {max_wer_delta: 0.5}\n")
    out = speechdrill("gate", str(path), str(path), "--budgets", str(budgets), "--json")
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)["slices"]
    assert row["delta_interval"] == [0.0, 0.0]  # the same utterances: no change at all
    low, high = row["baseline_interval"]
    assert low < row["baseline"] < high
    text = speechdrill("gate", str(path), str(path), "--budgets", str(budgets)).stdout
    assert "WER baseline [95% CI]" in text and "change [95% CI]" in text
