"""The exam reads what an answer commits to (drills/judge/essay.py): near misses both ways
for each construction, in words of our own: an answer that must earn and one that must not."""

from __future__ import annotations

from drills.course.exam import Attempt, exam_paths, load_exam, mark
from drills.judge.essay import committed, visible

ITEM = "prompt-3-smaller-or-larger-asr"
EXAM = {p.stem: load_exam(p) for p in exam_paths()}[ITEM]

# the measures, each a sentence a candidate might write
MEASURES = [
    "compare the two models slice by slice on noisy far-field recordings and on domain terms",
    "put the 45% cost and 30% latency savings against what the errors cost the business",
    "route hard far-field audio to the larger model so the small one takes the easy majority",
    "canary that router on a capped small share of traffic, watching task success per slice",
    "keep a one-switch rollback to the baseline model",
]
STATED = " ".join(f"We {m}." for m in MEASURES)


def score(answer: str) -> float:
    return mark(EXAM, Attempt(exam=ITEM, candidate="c", answer=answer)).score


def test_the_statements_earn_a_pass():
    assert score(STATED) >= 60


# --- hidden and disguised text ---------------------------------------------------------


def test_a_comment_is_not_read_and_the_stored_answer_is_kept():
    hidden = "I would ship the small model to every user.\n<!-- " + STATED + " -->"
    assert score(hidden) == 0
    assert "canary" not in visible(hidden)
    assert Attempt(exam=ITEM, candidate="c", answer=hidden).answer == hidden
    # the same words shown, not hidden, earn
    assert score(hidden.replace("<!-- ", "").replace(" -->", "")) >= 60


def test_a_disguised_not_is_read_as_not():
    zero_width = "We would n\u200bot " + MEASURES[0] + "."
    cyrillic = "We would n\u043et " + MEASURES[0] + "."  # a Cyrillic o
    for text in (zero_width, cyrillic):
        assert "would not compare" in visible(text)
    plain = "We would " + MEASURES[0] + "."
    assert score(plain) > score(zero_width) == score(cyrillic)
    # a word written wholly in another script is left as it is
    assert visible("Привет, we canary it.") == "Привет, we canary it."
    assert visible("ﬁxed set") == "fixed set"  # NFKC


# --- questions -------------------------------------------------------------------------


def test_open_questions_earn_nothing():
    asked = " ".join(f"Should we {m}?" for m in MEASURES)
    assert score(asked) == 0
    fronted = " ".join(f"Before launch, do we {m}?" for m in MEASURES)
    assert score(fronted) == 0


def test_a_demanded_or_answered_question_earns_as_a_statement():
    demanded = " ".join(f"Why not {m}?" for m in MEASURES)
    assert score(demanded) >= 60
    answered = " ".join(f"Do we {m}? Yes, we {m}." for m in MEASURES)
    assert score(answered) >= 60
    assert committed("Why on earth would we ship without a canary?") != ""
    assert committed("How else would we catch it, if not with a per-slice gate?") != ""
    # a question that commits before it asks: "do this: is that so?"
    assert committed("Slice by device first: does it drop only there?") != ""


def test_the_exam_reads_a_demanding_question_as_the_drill_does():
    # one reading (rhetoric.asks_for): "how many more <harms> before we <measure>?" and a
    # complaint of a lack demand the measure; a count that weighs asks
    demanded = " ".join(f"How many more missed slices before we {m}?" for m in MEASURES)
    assert score(demanded) >= 60
    counted = " ".join(f"How many more times will we {m} this year?" for m in MEASURES)
    assert score(counted) == 0
    assert committed("Why is there still no per-slice gate on the router?") != ""
    assert committed("Why is a per-slice gate on the router worth it?") == ""


# --- retractions -------------------------------------------------------------------------


def test_a_retraction_over_everything_takes_it_all_back():
    for verdict in ("None of that is worth doing.", "I reject all of these ideas."):
        assert score(f"{STATED}\n{verdict} Ship the small model to all users now.") == 0


def test_a_pointer_the_proposal_acts_on_retracts_nothing():
    acted_on = f"{STATED} Replaying all of it by hand would be a waste; automate the replay."
    assert score(acted_on) >= score(STATED) - 1e-9
    assert score(f"{STATED} All of that is a waste; ship it.") == 0


def test_a_retraction_reaches_back_only_over_its_own_section():
    sections = (
        f"## The plan\n{STATED}\n\n## What a colleague suggested\n"
        "Send the small model to every user on day one. None of that is needed."
    )
    assert score(sections) >= score(STATED) - 1e-9


def test_reported_advice_then_disowned_earns_nothing():
    reported = " ".join(f"Consultants tell you to {m}." for m in MEASURES)
    assert score(reported + " I disagree with all of them; just ship it.") == 0
    bare = " ".join(f"One consultant told us to {m}." for m in MEASURES)
    assert score(bare + " I disagree.") == 0
    # reported, then agreed with, earns
    assert score(reported + " I agree, and I would do exactly that.") > 0


def test_a_practice_told_as_a_failure_is_taken_back():
    past = f"Two years ago our team used to {MEASURES[0]} and {MEASURES[3]}."
    assert score(past + " That was a waste of months; send it to everybody at once.") == 0


def test_an_alternative_turned_down_then_measures_keeps_its_marks():
    considered = (
        "We thought about sending the small model to everybody at once. That is wrong here. "
        "Instead: " + STATED
    )
    assert score(considered) >= score(STATED) - 1e-9
    # a turned-down statement agreed with stays what it was
    text = "Don't decide on the global WER average alone. That is the usual mistake."
    assert "global WER" in committed(text)


def test_a_headings_verdict_holds_over_its_list():
    listed = "\n".join(f"- {m}" for m in MEASURES)
    assert score(f"Pitfalls to steer clear of (avoid every one):\n{listed}\nShip it.") == 0
    assert score(f"What I would do:\n{listed}") >= 60
    never = "Never ship without these (skipping one is the usual mistake):"
    assert score(f"{never}\n{listed}") >= 60


# --- counterfactuals, existentials, hearsay ----------------------------------------------


def test_a_wish_commits_to_nothing_and_a_plan_does():
    wished = " ".join(f"If we were a larger team we could {m}." for m in MEASURES)
    assert score(wished) == 0
    planned = " ".join(f"If the budget allows, we {m}." for m in MEASURES)
    assert score(planned) >= 60
    lesson = "If we had had a slice gate, we would have caught it."
    assert committed(lesson) == lesson


def test_a_noun_salad_and_hearsay_earn_nothing():
    salad = "\n".join(
        ["There are canaries and the router and also per-slice WER and rollback."] * 10
    )
    assert score(salad) == 0
    assert committed("I've heard that people canary a router to a small share.") == ""
    taken_up = "I've heard that people canary a router; we should do the same."
    assert committed(taken_up) == taken_up
    told = "Another team once routed hard audio to the larger model, so the small one got the rest."
    assert committed(told) == ""
    assert committed("Our old system had a one-switch rollback to the baseline.") == ""
    theirs = told[:-1] + "; we should do the same."
    assert committed(theirs) == theirs
    # a statement of a lack, and one with an action, still say something
    assert committed("There is no per-slice gate, so we add one.") != ""
    kept = "There are two models, and which one wins depends on the slice."
    assert committed(kept) == kept
    # one existential in a design describes it
    design = f"{STATED} There is a written rollback plan and a privacy review."
    assert committed(design) == design


def test_a_final_verdict_on_every_measure_takes_them_all_back():
    # the sixteenth round: the measures pointed at as a whole, as the verdict's subject or
    # the object of a refusal
    for verdict in (
        "Taken together, these steps are overkill for a small team.",
        "Honestly, all of this is a waste.",
        "These are all overrated.",
        "In practice we would drop these measures; releases matter more.",
        "We would not bother with any of it.",
    ):
        assert score(f"{STATED} {verdict}") == 0, verdict
    # a verdict in a later clause, on skipping them; what they need; a proposal acting on
    # them all; a denial of a refusal
    for kept in (
        "These steps are cheap, and skipping them would be a mistake.",
        "These measures need no raw audio at all.",
        "We can roll back all of it with one switch.",
        "Skip none of these steps.",
    ):
        assert score(f"{STATED} {kept}") >= 60, kept


def test_things_strung_by_an_empty_relation_are_a_salad():
    related = "\n".join(["The canary and the rollback relate to release safety somehow."] * 6)
    assert score(related) == 0
    # a relation with a subject of its own, or with an action, says something
    kept = "They relate to release safety, so we canary the router on a small share."
    assert committed(kept) == kept
    design = f"{STATED} The canary and the rollback relate to release safety."
    assert score(design) == score(STATED)


def test_a_verdict_on_every_measure_denied_held_to_a_condition_or_reported_keeps_them():
    # review16: the verdict denied, held to a condition that the writer says will hold, or
    # another's view the writer answers: the measures stay (each scored so before the round)
    for kept in (
        "These steps are not overkill for a team our size.",
        "These measures are overkill only if the small model never misroutes, and it will.",
        "Some call these measures overkill; they are the minimum.",
    ):
        assert score(f"{STATED} {kept}") >= 50, kept
    # said by the writer, unlimited: all taken back
    for verdict in (
        "These measures are a waste for a team our size.",
        "Honestly, I would skip these steps.",
    ):
        assert score(f"{STATED} {verdict}") == 0, verdict


def test_a_sweeping_verdict_over_a_dashed_list_takes_it_all_back():
    # the seventeenth round: the verdict's subject cut by a dashed list of the measures
    swept = STATED + " All these gates — canary, rollback, slice comparison — are overkill here."
    assert score(swept) == 0
    kept = STATED + " All these gates — canary, rollback, slice comparison — are worth the time."
    assert score(kept) >= 60
