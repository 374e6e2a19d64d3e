"""What a written answer commits to: the text the exam's matcher marks (drills/course/exam.py).

An examiner marks what the candidate visibly recommends, read as a whole, not every phrase
that names a measure. Before an answer is matched (`committed`):

- what the examiner does not see is dropped (`visible`): HTML comments, zero-width and other
  format characters; letters of another script inside an otherwise Latin word are read as
  their Latin look-alikes (a "not" written with a Cyrillic letter is a "not");
- an open question commits to nothing ("Should we canary it?"): it earns only as a demand
  ("Why not canary it?", "Why on earth would we ship without a canary?", "How else would we
  catch it, if not with a per-slice gate?") or with the answer that follows it;
- a retraction takes back what it points at: "None of that is needed", "I disagree with all
  of them" everything before it in its section; "That process was wrong", "it was a
  disaster" the sentence (or the clauses of its own sentence) before it. What was already
  turned down ("Don't decide on the global average. That is the usual mistake.") stays;
- a heading's verdict holds over its list ("Mistakes teams make (avoid all of these):");
- a counterfactual commits to nothing ("If we had a bigger team, we might ...", "In an ideal
  world we would ..."); a lesson does ("If we had had a slice gate, we would have caught it");
- hearsay proposes nothing ("I have heard that people canary a router"), nor does what
  someone else once had or did, told and not taken up ("Someone on another team built a
  cascade"; "...; we should build one too" takes it up), nor an answer made mostly of
  statements that things exist ("There is canary and the router and also per-slice WER.");
  one such sentence in a design ("There's a written rollback plan.") describes it.

The stored answer is kept as written; only the marking reads this text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise

from drills.judge.reading import TURNS, plain_denial, split_sentences
from drills.judge.rhetoric import asks_for

# --- what the examiner sees -------------------------------------------------------------


def _ws(text: str) -> frozenset[str]:
    return frozenset(text.split())


_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
# other scripts' letters an examiner reads as Latin ones (Cyrillic, Greek)
_LOOKALIKES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "п": "n",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ɑ": "a", "ο": "o", "α": "a", "ε": "e",
    "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ѵ": "v", "ν̇": "v",
}  # fmt: skip
# a disguised word is read as the negation it stands for where only its foreign letters differ
_NEGATIONS = ("not", "no", "nor", "never", "don't", "won't", "isn't", "doesn't", "shouldn't")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _fold_word(word: str) -> str:
    foreign = [i for i, ch in enumerate(word) if not ch.isascii() and ch.lower() in _LOOKALIKES]
    if not foreign or not any(_latin(ch) for ch in word):
        return word  # a word of one script is read as written
    for negation in _NEGATIONS:
        if len(negation) == len(word) and all(
            i in foreign or word[i].lower() == negation[i] for i in range(len(word))
        ):
            return negation
    out = []
    for ch in word:
        mapped = _LOOKALIKES.get(ch.lower(), ch) if not ch.isascii() else ch
        out.append(mapped.upper() if ch.isupper() else mapped)
    return "".join(out)


def visible(answer: str) -> str:
    """The answer as an examiner reads it: comments dropped, format characters (zero-width
    spaces and joiners, direction marks) removed, look-alike letters of other scripts inside
    a Latin word read as Latin."""
    text = unicodedata.normalize("NFKC", _COMMENT.sub("", answer))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _WORD.sub(lambda m: _fold_word(m.group(0)), text)


# --- units: lines, sentences, clauses ---------------------------------------------------

_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "incl.")
_LIST = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
_HEADING = re.compile(r"^\s*(?:#{1,6}\s+.*|\*\*[^*]+\*\*:?\s*|[^-*•+\d].*:)\s*$")


@dataclass
class _Sentence:
    clauses: list[str]  # each with its trailing separator ("; ")
    line: int
    kept: list[bool]
    heading: bool = False


def _sentences(line: str) -> list[str]:
    """A line's sentences, each with the whitespace after it (joined, they are the line):
    the judge's one splitter (reading.split_sentences), past the abbreviations."""
    return split_sentences(line, abbreviations=_ABBREVIATIONS)


def _clauses(sentence: str) -> list[str]:
    # "...; it was a disaster", "..., and that was a waste": a clause of its own
    parts = re.split(
        r"(?<=;)|(?<=\u2014)|(?<=,)(?= (?:and |but |which )?(?:it|that|this|they) (?:was|is)\b)",
        sentence,
    )
    return [p for p in parts if p]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower().replace("’", "'"))


# --- open questions ---------------------------------------------------------------------

_ASKING = _ws(
    "should shall do does did would could can is are was were must will may might "
    "need needs how what which who when where why isn't aren't wouldn't shouldn't"
)


def _question(text: str) -> bool:
    """A sentence that asks from its first word ("Should we ...?", "Is a canary worth it?");
    "Slice by firmware: does confidence drop only there?" commits before it asks."""
    stripped = text.strip().rstrip("\"')]").rstrip()
    if not stripped.endswith("?") or ":" in stripped or ";" in stripped:
        return False
    found = _words(stripped)
    if found[:1] and found[0] in _ASKING:
        return True
    # "In the first hour, should we ...?": a question after a short opening phrase
    head, comma, rest = stripped.partition(",")
    after = _words(rest)
    return bool(comma) and len(_words(head)) <= 5 and after[:1] != [] and after[0] in _ASKING


def _demands(text: str) -> bool:
    """A rhetorical question that demands a measure: "Why not ...?", "How about ...?", "Why
    on earth would we ship without a canary?", "How else would we catch it, if not ...?"."""
    found = _words(text)
    # the drill's reading (rhetoric.asks_for): a suggestion, a complaint of a lack, or "how
    # many more outages before we ...?"
    if asks_for(found):
        return True
    pairs = {tuple(found[k : k + 2]) for k in range(len(found) - 1)}
    if pairs & {("what", "if"), ("how", "else"), ("if", "not"), ("on", "earth")}:
        return True
    return found[:1] == ["why"] and ("without" in found or "skip" in found)


# --- retractions ------------------------------------------------------------------------

_POINTERS = frozenset({"that", "this", "these", "those", "them", "it", "they"})
_REJECTS = _ws(
    "wrong overkill waste pointless unnecessary unneeded disaster disastrous failed failure "
    "disagree ignore skip forget nonsense mistake mistakes overrated useless bureaucracy "
    "theatre theater reject rejected oppose dismiss discard scrap"
)
_DOING = frozenset({"do", "need", "want", "recommend", "bother"})
_TURNED_DOWN = _ws(
    "not no never don't doesn't won't shouldn't avoid without instead rather stop skip "
    "isn't aren't wouldn't"
)


def _denies(word: str) -> bool:
    """A plain denial (reading.plain_denial: "not", "no", "never", an n't) or "nor"."""
    return plain_denial(word) or word == "nor"


_COPULA = frozenset({"is", "are", "was", "were", "be", "been", "'s"})
_NEEDED = _ws("needed necessary required warranted worth useful helpful relevant")
_NARROW = re.compile(
    r"\b(?:that|this|it|they|those|these)(?: [a-z]+)? (?:is|are|was|were|'s)(?: [a-z']+){0,3} "
    r"(?:wrong|overkill|waste|pointless|unnecessary|unneeded|disaster|disastrous|failure|"
    r"mistake|nonsense|useless|bureaucracy|theatre|theater|overrated)\b"
    r"|\b(?:disagree with|reject) (?:that|this|it|them|those|these)\b"
)


def _scope(words: list[str]) -> str | None:
    """'wide' for a retraction of everything before it ("None of that is needed", "I
    disagree with all of them", "I would do none of that"), 'narrow' for one of what was
    just said ("That process was slow and I think it is wrong", "it was a disaster"),
    None for anything else ("None of this needs raw audio" says what the measures need)."""
    for k in range(len(words) - 2):
        first, of, pointer = words[k : k + 3]
        if of != "of" or pointer not in _POINTERS | {"the"}:
            continue
        after = words[k + 3 : k + 7]
        if first == "none":
            if set(words[max(0, k - 2) : k]) & _DOING:
                return "wide"  # "I would do none of that"
            if after[:1] and after[0] in _COPULA and set(after[1:4]) & _NEEDED:
                return "wide"  # "None of that is really needed"
            if after[:1] and after[0] in {"matters", "applies", "helps"}:
                return "wide"
        # "All of that is overkill", "I disagree with all of them"; in "Rolling back all of
        # it is overkill" the pointer is what the proposal acts on
        elif (
            first in {"all", "any"}
            and set(words) & _REJECTS
            and (k == 0 or words[k - 1] in _REJECTS | {"with", "and", "but", "so"})
        ):
            return "wide"
    if _sweeping(words):
        return "wide"
    if _NARROW.search(" ".join(words)):
        return "narrow"
    return None


# what the measures are called when pointed at together ("these measures", "all these steps")
_KINDS = _ws(
    "measures steps ideas changes things proposals suggestions practices controls processes "
    "safeguards checks precautions gates guardrails hoops hurdles layers"
)
_OPENING_SOFTENERS = _ws(
    "frankly honestly really but so and overall still though ultimately anyway in the end "
    "truthfully realistically"
)
_REFUSING = _ws("skip drop scrap ditch shelve bother")
_JOINING = _ws("and but so because while whereas since")


_REPORTING = _ws("call calls called say says said think thinks claim claims argue argues")


def _sweeping(words: list[str]) -> bool:
    """A verdict on every measure at once, pointed at as a whole: "these measures are
    overkill for a team our size", "Frankly, all of this is overkill", "These are all a
    waste", "we would skip these measures", "I would not bother with any of it". The
    pointer is the verdict's subject (after an opening softener) or the object of a
    refusal; not the object of a proposal ("we roll back all of it in one step")."""
    denied = any(_denies(w) for w in words)
    k = 0
    while k < len(words) and words[k] in _OPENING_SOFTENERS:
        k += 1
    # an opening phrase of up to three words before the subject ("Taken together, these
    # steps ..."), with no action in it ("Rolling back all of it is overkill" acts on it)
    lead = next(
        (j for j in range(k, min(k + 4, len(words))) if words[j] in {"these", "those", "all"}), k
    )
    if not any(w in _ACTING or w.endswith("ing") for w in words[k:lead]):
        k = lead
    head = words[k : k + 4]
    # the verdict in the subject's own clause, not a later one ("These measures are cheap,
    # and skipping them is a mistake"), and no refusal of the refusal in it
    own = words[k:]
    cut = next((j for j, w in enumerate(own) if j > 1 and w in _JOINING), len(own))
    own = own[:cut]
    said_own = set(own)
    # said of the measures themselves, a verdict word ("these measures do not need raw
    # audio" says what they need)
    rejecting_own = bool(said_own & _REJECTS)
    # the subject: "these measures are ...", "these are all ...", "all of this is ..."
    subject = (
        head[:1] in (["these"], ["those"])
        and len(head) > 1
        and (head[1] in _KINDS or (head[1] in _COPULA and "all" in head[2:3]))
    ) or (head[:2] == ["all", "of"] and len(head) > 2 and head[2] in _POINTERS)
    subject = subject or (head[:2] == ["all", "these"] and len(head) > 2 and head[2] in _KINDS)
    # a verdict denied ("these steps are not overkill"), held to a condition ("overkill only
    # if ..."), or another's view reported ("Some call these measures overkill")
    limited = any(_denies(w) for w in said_own)
    limited = limited or ("only", "if") in pairwise(own) or "unless" in said_own
    limited = limited or bool(set(words[:k]) & _REPORTING)
    # "None of these guardrails ... is overkill": the verdict denied before its subject
    limited = limited or bool(set(words[:k]) & {"none", "neither"})
    if subject and rejecting_own and not limited and not any(w.startswith("skipp") for w in own):
        return True
    # the object of a refusal: "skip these measures", "bother with any of it"
    for j, w in enumerate(words):
        if w not in _REFUSING or (w == "bother" and not denied):
            continue
        rest = words[j + 1 : j + 5]
        if rest[:1] == ["with"]:
            rest = rest[1:]
        if rest[:2] in (["these", k_] for k_ in _KINDS) or (
            rest[:2] in (["any", "of"], ["all", "of"]) and rest[2:3] and rest[2] in _POINTERS
        ):
            return True
    return False


def _turned_down(text: str) -> bool:
    return bool(set(_words(text)) & _TURNED_DOWN)


# --- headings, counterfactuals, existentials, hearsay ------------------------------------

_HEADING_VERDICT = _ws("mistakes mistake avoid pitfalls pitfall anti antipatterns wrong")
# "Never ship without these:", "Skipping one is the usual mistake:": a demand
_HEADING_DEMANDS = _ws("without skip skipping missing lacking forget forgetting")
_COUNTERFACTUAL_OPENINGS = (
    ("in", "an", "ideal", "world"),
    ("in", "a", "perfect", "world"),
    ("with", "more", "time"),
    ("with", "more", "budget"),
    ("with", "more", "people"),
    ("with", "a", "bigger"),
    ("given", "more"),
)
_PAST = frozenset({"had", "were", "was", "cared", "did", "could", "knew", "wanted"})
_HEDGED = frozenset({"might", "would", "could", "we'd", "i'd"})
# what someone else once had or did, told and not taken up ("Someone on another team built
# a cascade", "Our old system had a one-switch rollback, which nobody had tested")
_THEIRS = (
    ("someone",),
    ("somebody",),
    ("another", "team"),
    ("other", "teams"),
    ("a", "colleague"),
    ("our", "old"),
    ("my", "old"),
    ("the", "old"),
    ("my", "team", "once"),
    ("we", "once"),
    ("at", "my", "last"),
    ("at", "my", "previous"),
    ("at", "a", "previous"),
)
_TAKEN_UP = _ws(
    "should must need needs would will we'd i'd we'll i'll let's recommend propose want "
    "too also same"
)
_SUBJECTS = _ws("it they he she this that which who what where when because if")
_HEARSAY = (
    ("i", "have", "heard"),
    ("i've", "heard"),
    ("i", "heard"),
    ("people", "say"),
    ("they", "say"),
    ("rumour", "has"),
    ("i've", "read"),
)
_ACTING = _ws("i we you let's should must need needs would will i'd we'd i'll we'll so then")


def _counterfactual(words: list[str]) -> bool:
    """A wish ("If we had a bigger team, we might ..."); "If we had had a gate, we would
    have caught it" is a lesson, "If the canary regresses, we roll back" a plan."""
    if "have" in words and {"would", "might", "could"} & set(words):
        return False  # a past counterfactual: the lesson it draws
    if any(tuple(words[: len(o)]) == o for o in _COUNTERFACTUAL_OPENINGS):
        return bool(_HEDGED & set(words))
    if words[:1] == ["if"] and _PAST & set(words[1:5]):
        return bool(_HEDGED & set(words))
    return False


def _existential(words: list[str]) -> bool:
    """A statement that things exist ("There is canary and the router and also per-slice
    WER.") names them and proposes nothing."""
    if words[:1] == ["there's"]:
        rest = words[1:]
    elif words[:2] in (["there", "is"], ["there", "are"]):
        rest = words[2:]
    else:
        return False
    if not rest or _denies(rest[0]) or set(rest) & _ACTING:
        return False
    # "There are many considerations and it depends ...": a clause with a subject of its
    # own says something ("domain terms", "hard utterances" are nouns, not verbs)
    return not set(rest) & _SUBJECTS


# relations that say nothing of what is done ("A and B relate to the blast radius in many
# ways", "they are all connected to rollout safety"): things named, nothing proposed
_EMPTY_RELATIONS = (
    ("relate", "to"),
    ("relates", "to"),
    ("related", "to"),
    ("connect", "to"),
    ("connected", "to"),
    ("connects", "to"),
    ("tie", "into"),
    ("ties", "into"),
    ("tied", "to"),
    ("interact", "with"),
    ("interacts", "with"),
    ("have", "to", "do", "with"),
    ("has", "to", "do", "with"),
    ("play", "into"),
    ("plays", "into"),
    ("are", "relevant", "to"),
    ("is", "relevant", "to"),
)


def _related(words: list[str]) -> bool:
    """A statement that things only relate to something ("The slice metrics and the router
    relate to the blast radius in many ways"): things strung by "and", an empty relation as
    their verb, and nothing done, decided or denied on either side of it."""
    if set(words) & _ACTING or any(map(_denies, words)) or (words and words[0] in _SUBJECTS):
        return False
    for k in range(1, len(words)):
        relation = next((r for r in _EMPTY_RELATIONS if tuple(words[k : k + len(r)]) == r), None)
        if relation is not None:
            # things strung together as its subject ("A and B relate to ...")
            return not set(words[:k]) & _SUBJECTS and "and" in words[:k]
    return False


def _hearsay(words: list[str]) -> bool:
    opening = any(tuple(words[: len(h)]) == h for h in _HEARSAY)
    return opening and not (set(words[3:]) & (_ACTING - {"i"}))


def _told_of_others(words: list[str]) -> bool:
    opening = next((len(o) for o in _THEIRS if tuple(words[: len(o)]) == o), 0)
    return bool(opening) and not set(words[opening:]) & _TAKEN_UP


# --- the reading --------------------------------------------------------------------------


def committed(answer: str) -> str:
    """The answer as the matcher should read it: only what it visibly commits to (the
    module's docstring). Lines keep their places; a dropped sentence leaves its line's other
    sentences as written."""
    lines = visible(answer).split("\n")
    sentences: list[_Sentence] = []
    drop_lines: set[int] = set()
    verdict_heading = False
    for n, line in enumerate(lines):
        is_list = bool(_LIST.match(line))
        heading = not is_list and bool(line.strip()) and bool(_HEADING.match(line))
        if heading:
            said = set(_words(line))
            verdict_heading = bool(said & _HEADING_VERDICT) and not said & _HEADING_DEMANDS
        elif is_list and verdict_heading:
            drop_lines.add(n)  # the heading's verdict holds over its list
        elif line.strip():
            verdict_heading = False
        for text in _sentences(line) or [line]:
            clauses = _clauses(text) or [text]
            sentences.append(_Sentence(clauses, n, [True] * len(clauses), heading))
    _retract(sentences)
    _drop_uncommitted(sentences)
    out: dict[int, str] = {}
    for s in sentences:
        text = "".join(c for c, k in zip(s.clauses, s.kept, strict=True) if k)
        out[s.line] = out.get(s.line, "") + text
    kept = []
    for n, line in enumerate(lines):
        if n in drop_lines:
            continue
        text = out.get(n, "").rstrip()
        prefix = _LIST.match(line)
        if prefix and text.strip() and not _LIST.match(text):
            text = prefix.group(0) + text.lstrip()
        if line.strip() and not text.strip():
            continue  # every sentence of the line dropped
        kept.append(text)
    return "\n".join(kept)


def _sections(sentences: list[_Sentence]) -> list[int]:
    """The index where each sentence's section begins (a heading line starts one)."""
    starts = []
    start = 0
    for k, s in enumerate(sentences):
        if s.heading:
            start = k + 1
        starts.append(start)
    return starts


def _retract(sentences: list[_Sentence]) -> None:
    starts = _sections(sentences)
    for k, s in enumerate(sentences):
        scopes = [_scope(_words(clause)) for clause in s.clauses]
        # a sweeping verdict whose subject a dashed list cuts into clauses ("All these gates
        # — shadow, canary, privacy reviews — are overkill"): read over the whole sentence,
        # at its last clause, so the list it names goes with what came before
        # — not past a turn after the list ("All these hoops — ... — may look like overkill,
        # but each caught a regression": a concession)
        whole = _words(" ".join(s.clauses))
        turned = set(whole[len(_words(s.clauses[0])) :]) & TURNS
        if len(scopes) > 1 and not any(scopes) and not turned and _sweeping(whole):
            scopes[-1] = "wide"
        for c, clause in enumerate(s.clauses):
            scope = scopes[c]
            if scope is None:
                if c == 0 and _disowns(_words(clause)):
                    _drop_reported_before(sentences, k)
                continue
            for j in range(c):  # the clauses before it in its own sentence
                if not _turned_down(s.clauses[j]):
                    s.kept[j] = False
            if c > 0 and scope == "narrow":
                continue
            back = range(starts[k], k) if scope == "wide" else _previous(sentences, k)
            for j in back:
                t = sentences[j]
                for i, text in enumerate(t.clauses):
                    if text.strip() and not _turned_down(text):
                        t.kept[i] = False


_SAYING = _ws(
    "says say said recommend recommends recommended suggest suggests suggested tell tells "
    "told advise advises advised argue argues argued insist insists claim claims"
)
_FIRST_PERSON = _ws("i we i'd we'd i'll we'll i'm we're let's")


def _disowns(words: list[str]) -> bool:
    """A bare disowning of what was just reported: "I disagree.", "I'm not convinced."."""
    said = set(words)
    return len(words) <= 6 and bool(
        said & {"disagree", "disagrees"} or {"not", "convinced"} <= said or "wrong" in said
    )


def _reported(words: list[str]) -> bool:
    """Reported speech: someone other than the writer says, recommends or argues it."""
    return bool(set(words[:8]) & _SAYING) and not set(words[:2]) & _FIRST_PERSON


def _drop_reported_before(sentences: list[_Sentence], k: int) -> None:
    """ "The textbook says X. My manager would say Y. I disagree.": the run of reported
    speech just before a disowning is taken back."""
    j = k - 1
    while j >= 0:
        text = "".join(sentences[j].clauses)
        if not text.strip():
            j -= 1
            continue
        if not _reported(_words(text)):
            return
        sentences[j].kept = [False] * len(sentences[j].kept)
        j -= 1


def _previous(sentences: list[_Sentence], k: int) -> range:
    j = k - 1
    while j >= 0 and not "".join(sentences[j].clauses).strip():
        j -= 1
    return range(j, j + 1) if j >= 0 else range(0)


def _drop_uncommitted(sentences: list[_Sentence]) -> None:
    texts = ["".join(s.clauses) for s in sentences]
    words = [_words(t) for t in texts]
    # an answer made mostly of "There is A and B and also C." is a noun salad; one such
    # sentence in a design ("There's a written rollback plan and a privacy review.")
    # describes the design
    said = [w for w in words if w]
    salad = 2 * sum(_existential(w) or _related(w) for w in said) >= len(said)
    for k, s in enumerate(sentences):
        text, found = texts[k], words[k]
        if not found:
            continue
        if _question(text) and not _demands(text):
            following = [t for t in texts[k + 1 :] if t.strip()]
            if not following or (_question(following[0]) and not _demands(following[0])):
                s.kept = [False] * len(s.kept)
            continue
        reported = _hearsay(found) or _told_of_others(found)
        if (
            _counterfactual(found)
            or reported
            or (salad and (_existential(found) or _related(found)))
        ):
            s.kept = [False] * len(s.kept)


__all__ = ["committed", "visible"]
