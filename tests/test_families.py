"""Symptom families: one page, several causes. Every member shows the family's page and
deploy log and seals to the same candidate pack; nothing a candidate reads names a cause;
members are drawn balanced across a cohort, purely from (family, cohort seed, candidate);
and, simulated, each member's page sits in the family's band, every pair of members is
told apart by the evidence, and an expert's path replayed on another member (a tip) earns
nothing while each member's own expert passes."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drills.library.family import (
    Deploy,
    Family,
    PageSymptom,
    assign,
    draw,
    family_dirs,
    load_family,
    naming_problems,
    resolve_family,
    write_member,
)
from drills.library.family_verify import (
    OWN_MIN,
    TIP_MAX,
    Rendered,
    check_family,
    load_rendered,
    pairwise,
    render_members,
    tells_apart,
    verify_family,
)
from drills.library.seal import seal
from drills.library.verify import Check
from simulator.errors import InputError
from tests.helpers import RUNS, speechdrill

FAMILIES = family_dirs()
# every family's simulated check (page band, pairs, tip matrix: N² replays, minutes each)
# runs in `make test-full`; `make test` keeps what needs no simulation, the near-miss pair
# below on this family and the cohort drawing
SAMPLE_FAMILY = "live-captions-degraded"


def family_params() -> list[object]:
    # one worker runs them one after another (make test-full's --dist loadgroup): a family's
    # N² replays hold gigabytes of runs, and two side by side ran a 24 GiB host out of memory
    marks = (pytest.mark.full, pytest.mark.xdist_group("families"))
    return [pytest.param(f.name, id=f.name, marks=marks) for f in FAMILIES]


def test_the_library_has_four_families_of_four_different_causes(tmp_path):
    assert len(FAMILIES) >= 4
    for folder in FAMILIES:
        family = load_family(folder / "family.yaml")
        report = check_family(family, tmp_path / folder.name)
        causes = [c for member in report.causes.values() for c in member]
        assert len(report.causes) >= 4 and len(set(causes)) == len(causes), folder.name
        assert not report.naming, report.naming


@pytest.mark.parametrize("name", [f.name for f in FAMILIES])
def test_every_member_shows_the_same_page_deploy_log_and_candidate_pack(name, tmp_path):
    """What a candidate can see before and during the drill is the family's, whatever the
    member: the scenario's id, title and page, the sealed pack (briefing, fleet, panels),
    and the deploy log the events table will show; each member's faults ride on a deploy
    of that log, and there is the cause's only difference."""
    family = load_family(resolve_family(name))
    members = render_members(family, tmp_path / "members")
    packs = []
    for member in members:
        spec = member.scenario.spec
        assert (spec.id, spec.title, spec.briefing) == (
            family.spec.id,
            family.spec.title,
            family.spec.briefing,
        )
        announced = [(e.at_s, e.announce) for e in member.scenario.timeline if e.announce]
        assert announced == [(d.at_s, d.announce) for d in sorted(family.spec.deploys, key=_at)]
        carrier = family.spec.deploy(family.spec.member(member.member).deploy)
        changed = {e.at_s for e in member.scenario.timeline if e.set}
        assert changed == {carrier.at_s}, member.member
        pack = tmp_path / "packs" / member.member
        seal(member.scenario, pack)
        packs.append(pack)
    for other in packs[1:]:
        same = filecmp.dircmp(packs[0], other)
        assert not same.diff_files and not same.left_only and not same.right_only, other


def _at(deploy: Deploy) -> float:
    return float(deploy.at_s)


def test_a_page_that_names_a_cause_is_refused_and_a_neutral_or_negated_one_is_not():
    spec = load_family(resolve_family("gpu-bill-up")).spec
    causes = {"m1": ["cpu-to-gpu-fallback"], "m2": ["shadow-mirroring-left-on"]}
    assert naming_problems(spec, causes) == []

    def page(text: str) -> Family:
        return spec.model_copy(update={"briefing": spec.briefing.model_copy(update={"page": text})})

    named = naming_problems(page("Embedding calls fell back onto the A100s overnight."), causes)
    assert len(named) == 1 and "cpu-to-gpu-fallback" in named[0] and "(m1)" in named[0]
    shadow = naming_problems(page("Batch ASR traffic is mirrored to a shadow pool."), causes)
    assert len(shadow) == 1 and "shadow-mirroring-left-on" in shadow[0]
    # near misses: the same nouns without the cause, or the cause explicitly set aside
    assert naming_problems(page("The GPU bill is up; embeddings run on CPUs."), causes) == []
    assert naming_problems(page("No fallback onto the GPUs was seen."), causes) == []


@settings(max_examples=40, deadline=None)
@given(cohort=st.integers(0, 10**6), size=st.integers(1, 23))
def test_members_are_balanced_across_any_cohort_and_drawn_purely(cohort, size):
    """Any cohort's counts per member differ by at most one, its first round draws every
    member once, and the same (family, cohort seed, candidate) always draws the same."""
    spec = load_family(resolve_family("voice-replies-late")).spec
    ids = [m.id for m in spec.members]
    drawn = [assign(spec, cohort, i) for i in range(size)]
    counts = [drawn.count(m) for m in ids]
    assert max(counts) - min(counts) <= 1
    assert len(set(drawn[: len(ids)])) == min(size, len(ids))
    assert drawn == [assign(spec, cohort, i) for i in range(size)]


def test_cohorts_draw_members_in_different_orders_and_bad_indices_are_refused():
    spec = load_family(resolve_family("gpu-bill-up")).spec
    orders = {tuple(assign(spec, seed, i) for i in range(4)) for seed in range(40)}
    assert len(orders) > 10  # 24 orders of four members: cohorts do not share one
    with pytest.raises(InputError):
        assign(spec, 1, -1)


def test_draws_are_deterministic_and_the_deploys_land_in_different_minutes():
    family = load_family(resolve_family("recognition-worse-some-users"))
    for seed in range(60):
        params = draw(family, "mic-firmware-drift", seed)
        assert params == draw(family, "mic-firmware-drift", seed)
        times = [params[name] for name in family.deploy_params]
        assert len(set(times)) == len(times), params
        assert set(params) == set(family.params) | {"cohort", "gain_db"}


def test_page_symptoms_say_what_they_measure():
    base = {"id": "x", "ratio": (1.0, 2.0)}
    PageSymptom.model_validate(base | {"metric": "cost_usd_per_hour"})
    PageSymptom.model_validate(base | {"requests": {"kind": "tts"}, "column": "latency_ms"})
    for bad in (
        base | {"metric": "a", "requests": {"kind": "tts"}},  # two kinds at once
        base | {"requests": {"kind": "tts"}},  # nothing measured
        {"id": "x", "metric": "a"},  # no band
        {"id": "x", "requests": {}, "worst_of": {"final_ms": "p95"}, "value": (1, 2)},
        base | {"requests": {}, "by": ["cohort"], "over": {"final_ms": 1.0}},
        base | {"metric": "a", "ratio": (2.0, 1.0)},
    ):
        with pytest.raises(ValueError):
            PageSymptom.model_validate(bad)


def test_a_signal_tells_members_apart_only_where_it_stands_in_one_alone():
    assert tells_apart(12.0, 0.5)
    assert tells_apart(12.0, -9.0)  # off the other way in B: a different finding
    assert not tells_apart(12.0, 4.0)  # as far off in B: it names neither
    assert not tells_apart(2.9, 0.0)  # not off in A: it locates nothing


def test_the_variant_command_draws_members_under_the_family_id(tmp_path):
    out = speechdrill(
        "scenario", "variant", "gpu-bill-up", "--seed", "7", "--count", "4", "--no-verify",
        "--out", str(tmp_path), "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    drawn = json.loads(out.stdout)
    members = [v["member"] for v in drawn]
    assert len(set(members)) == 4  # the first round of a cohort draws every member once
    for k, v in enumerate(drawn):
        folder = Path(v["folder"])
        assert folder.name == f"gpu-bill-up-7-{k}" and v["candidate"] == k
        text = (folder / "scenario.yaml").read_text()
        assert "id: gpu-bill-up\n" in text and v["member"] not in text
        assert json.loads((folder / "variant.json").read_text())["member"] == v["member"]
    again = speechdrill(
        "scenario", "variant", "gpu-bill-up", "--seed", "7", "--candidate", "2", "--no-verify",
        "--out", str(tmp_path / "again"),
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    same = filecmp.dircmp(tmp_path / "gpu-bill-up-7-2", tmp_path / "again" / "gpu-bill-up-7-2")
    assert not same.diff_files and not same.left_only and not same.right_only


def test_the_family_commands_and_their_bad_input(tmp_path):
    listed = json.loads(speechdrill("scenario", "family", "list", "--json").stdout)
    assert {f["id"] for f in listed} >= {f.name for f in FAMILIES}
    shown = speechdrill("scenario", "family", "show", "gpu-bill-up")
    assert shown.returncode == 0 and "FinOps alert" in shown.stdout
    family = load_family(resolve_family("gpu-bill-up"))
    causes = check_family(family, tmp_path / "c").causes
    assert not any(c in shown.stdout for member in causes.values() for c in member)
    checked = speechdrill("scenario", "family", "check", "gpu-bill-up", "--json")
    assert checked.returncode == 0 and json.loads(checked.stdout)[0]["ok"]
    for args, says in (
        (("scenario", "variant", "gpu-bill-up", "--member", "nope"), "members"),
        (("scenario", "variant", "gpu-cost-no-traffic", "--candidate", "1"), "family"),
        (("scenario", "family", "show", "no-such-family"), "no such symptom family"),
    ):
        out = speechdrill(*args)
        assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr


def test_a_bad_member_file_is_reported_where_its_author_wrote_it(tmp_path, monkeypatch):
    import shutil

    root = tmp_path / "scenarios"
    shutil.copytree(Path(__file__).parents[1] / "scenarios", root)
    monkeypatch.setenv("SPEECHDRILL_SCENARIOS", str(root))
    key = root / "families" / "gpu-bill-up" / "gpu-bill-up-4" / "key.yaml"
    key.write_text(key.read_text().replace("  - id: replicas-by-pool", "  - idd: replicas-by-pool"))
    family = load_family(resolve_family("gpu-bill-up"))
    with pytest.raises(InputError) as caught:
        render_members(family, tmp_path / "out")
    assert str(key) in str(caught.value) and "signals[1].idd" in str(caught.value)
    bad = root / "families" / "gpu-bill-up" / "family.yaml"
    bad.write_text(bad.read_text().replace("deploy: platform-sync", "deploy: nowhere"))
    out = speechdrill("scenario", "family", "check", str(bad))
    assert out.returncode == 2 and "family.yaml" in out.stderr and "nowhere" in out.stderr


# --- simulated: the page band, the pairs told apart, the tip matrix ---------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", family_params())
def test_the_page_band_the_evidence_and_the_tip_matrix(name, tmp_path):
    """Each member passes its own checks (3σ signals, alert rules, expert ≥ 85, naive ≤ 40)
    and shows the page inside the family's band; every ordered pair is told apart by a
    signal of the first member's key; experts replayed on another member average ≤ 40."""
    family = load_family(resolve_family(name))
    report = verify_family(family, tmp_path, RUNS)
    for member, checks in report.members.items():
        failed = [c for c in checks if not c.ok]
        assert not failed, (member, failed)
        pages = [c for c in checks if c.what == "page"]
        assert len(pages) == len(family.spec.page.symptoms)
    assert all(p.ok for p in report.pairs), [(p.a, p.b) for p in report.pairs if not p.ok]
    assert len(report.pairs) == len(report.members) * (len(report.members) - 1)
    assert report.tips is not None
    assert report.tips.mean_tipped() <= TIP_MAX
    assert min(report.tips.own().values()) >= OWN_MIN
    assert report.ok


@pytest.mark.slow
def test_two_members_alike_are_not_told_apart(tmp_path):
    """The near miss of the pairs check: a member beside its own double (the same incident
    under another name) has no signal that tells them apart."""
    family = load_family(resolve_family(SAMPLE_FAMILY))
    member = family.spec.members[2].id
    write_member(family, member, {}, tmp_path / "a")
    write_member(family, member, {}, tmp_path / "b")
    a = load_rendered(family, member, tmp_path / "a")
    b = load_rendered(family, member, tmp_path / "b")
    twin = Rendered("twin", b.folder, b.scenario, b.key)
    pairs = pairwise([a, twin], RUNS)
    assert [p.ok for p in pairs] == [False, False]
    assert all(abs(v) >= 3 for v in pairs[0].sigma_in_a.values())


def test_a_page_check_reads_its_band_both_ways():
    from drills.library.family_verify import _band

    assert _band("spend", 1.34, (1.3, 1.5), "×") == Check("page", "spend", 1.34, "×1.3–1.5", True)
    assert not _band("spend", 1.29, (1.3, 1.5), "×").ok
    assert not _band("spend", 1.51, (1.3, 1.5), "×").ok
    assert not _band("spend", float(np.nan), (1.3, 1.5), "×").ok


# --- the console's hook: a fresh member for each candidate of a cohort ------------------


def test_a_family_cohort_gives_each_candidate_their_own_member_under_one_page(tmp_path):
    """The console's preparer (drills/console/prepare.py) on a family cohort: each of four
    candidates gets a drill on a member of their own, drawn by `assign` from the cohort's
    seed and their index, every drill under the family's id and page."""
    from drills.console.prepare import Preparer, first_seed
    from drills.console.store import Candidate, Cohort, Store
    from drills.library.family import drawn_member
    from drills.play.journal import Journal

    store, journal = Store(tmp_path / "console"), Journal(tmp_path / "journal")
    opened = []
    preparer = Preparer(store, journal, opened.append, verify=False)
    cohort = Cohort("0a1b2c3d4e", "gpu-bill-up", 30.0, "2026-12-03T10:00:00+00:00", True)
    store.add_cohort(cohort)
    for i, name in enumerate(["ana", "ben", "cai", "dee"]):
        store.add_candidate(Candidate(f"token{i}", cohort.id, name, "", ""))
    preparer._run(cohort)  # what `start` runs in its thread
    spec = load_family(resolve_family("gpu-bill-up")).spec
    members = []
    for i, who in enumerate(store.candidates(cohort.id)):
        assert who.session and who.scenario, who
        member = drawn_member(Path(who.scenario))
        assert member == assign(spec, first_seed(cohort), i)
        members.append(member)
        assert journal.session(who.session).scenario == who.scenario
    assert sorted(members) == sorted(m.id for m in spec.members)
    assert [s.spec.id for s in opened] == ["gpu-bill-up"] * 4
    assert len({s.spec.briefing.page for s in opened}) == 1
