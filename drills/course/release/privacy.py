"""Personal data in a packet's free text, found by what the text is, not by digit shapes.

A rollback packet carries metrics, versions, dates, tickets and links, never user data.
Each detector asks what a span *is*:

- a phone number: one Google's libphonenumber parses as a valid number of a region the
  fleet serves (`phonenumbers.PhoneNumberMatcher`), standing as a token of its own (a
  ticket id, a build number or a URL's epoch milliseconds hold digits that parse too), or
  a number read out in words;
- an e-mail address: a candidate email-validator accepts with a real top-level domain
  (`asr-large@2.4.1` is a model at a version), also URL-encoded or written "at … dot";
- a raw audio file's path;
- a person's words: speech quoted and attributed to someone, a speaker-labelled line, an
  utterance in another script or language (by word frequencies: wordfreq), a lowercase
  first-person or spoken-command sentence as recognisers write them;
- a person's name beside an account or customer id (who a record is about).

Dates, times, ticket and request ids, versions, image tags, hashes and paraphrases of
feedback are not personal data. tests/privacy/ holds a near-miss corpus written by someone
who never saw this code: the checker was tuned on one half and is measured on the other
(docs/release-lab.md)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

import email_validator
import phonenumbers

PHONE = "a phone number"
EMAIL = "an e-mail address"
AUDIO = "a raw audio path"
SPEECH = "a person's words (transcript text)"
NAMED_ACCOUNT = "a person's name beside an account id"

# regions whose national numbers are tried (international ones parse from any); each added
# region lets more digit strings parse as valid, so only the markets a speech fleet serves
REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "BR", "MX", "JP")


@dataclass(frozen=True)
class Found:
    what: str
    start: int
    end: int


def find(text: str) -> list[Found]:
    """Every span of personal data in one string, by kind (one per kind and span)."""
    found = [
        *phones(text),
        *emails(text),
        *audio_paths(text),
        *spoken_words(text),
        *named_accounts(text),
    ]
    seen: set[tuple[str, int]] = set()
    out = []
    for f in sorted(found, key=lambda f: (f.start, f.what)):
        if (f.what, f.start) not in seen:
            seen.add((f.what, f.start))
            out.append(f)
    return out


# --- phone numbers ----------------------------------------------------------------------

URL = re.compile(r"\b(?:https?|s3|gs|file)://\S+|\bgo/\S+")
# glue that makes digits part of an identifier: REL-2025-0318-04, from=1773840600000, v2.4
GLUE_BEFORE = set("_/\\=#@:.-+") | {"~"}
NUMBER_WORDS = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|double|triple)"
READ_OUT = re.compile(rf"\b{NUMBER_WORDS}(?:[\s,.-]+{NUMBER_WORDS}\b){{6,}}", re.I)


def phones(text: str) -> Iterator[Found]:
    urls = [m.span() for m in URL.finditer(text)]
    spans: set[tuple[int, int]] = set()
    for region in REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, phonenumbers.Leniency.VALID):
            inside_url = any(a <= match.start < b for a, b in urls)
            if not inside_url and _standalone(text, match.start, match.end):
                spans.add((match.start, match.end))
    yield from (Found(PHONE, a, b) for a, b in sorted(spans))
    yield from (Found(PHONE, *m.span()) for m in READ_OUT.finditer(text))


def _standalone(text: str, start: int, end: int) -> bool:
    """Digits glued to letters or to an identifier's punctuation are part of an id."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    after_next = text[end + 1] if end + 1 < len(text) else " "
    if before.isalnum() or (before in GLUE_BEFORE and not text[:start].endswith("tel:")):
        return False
    return not (after.isalnum() or (after in "_-/.:" and after_next.isalnum()))


# --- e-mail addresses -------------------------------------------------------------------

CANDIDATE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
SPELT_OUT = re.compile(
    r"\b([\w.+-]*[A-Za-z][\w.+-]*)\s*(?:\[at\]|\(at\)|\{at\}|\s+at\s+)\s*([\w-]+)"
    r"((?:\s*(?:\[dot\]|\(dot\)|\{dot\}|\s+dot\s+)\s*[\w-]+)+)\b",
    re.I,
)
DOT = re.compile(r"\s*(?:\[dot\]|\(dot\)|\{dot\}|\s+dot\s+)\s*", re.I)


def emails(text: str) -> Iterator[Found]:
    decoded = unquote(text) if "%40" in text.upper() else text
    for match in CANDIDATE.finditer(decoded):
        ssh_remote = decoded[match.end() : match.end() + 1] == ":"  # git@host:org/repo
        if not ssh_remote and _is_email(match.group(0)):
            yield Found(EMAIL, *_in_original(text, decoded, match))
    for match in SPELT_OUT.finditer(text):
        address = f"{match.group(1)}@{match.group(2)}{DOT.sub('.', match.group(3))}"
        if _is_email(address):
            yield Found(EMAIL, *match.span())


def _in_original(text: str, decoded: str, match: re.Match[str]) -> tuple[int, int]:
    if decoded is text:
        return match.span()
    return (0, len(text))  # found after URL decoding: the whole string is the place


def _is_email(candidate: str) -> bool:
    try:
        found = email_validator.validate_email(candidate.strip(".-'"), check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    top = found.ascii_domain.rsplit(".", 1)[-1]
    return top.isalpha() and len(top) >= 2  # 2.4.1 or v2.1-rc is a version, not a domain


# --- raw audio --------------------------------------------------------------------------

AUDIO_PATH = re.compile(r"\S+\.(?:wav|flac|mp3|ogg|opus|pcm|m4a|amr|aac|webm)\b", re.I)


def audio_paths(text: str) -> Iterator[Found]:
    yield from (Found(AUDIO, *m.span()) for m in AUDIO_PATH.finditer(text))


# --- a person's words -------------------------------------------------------------------

QUOTE = re.compile(
    r"'([^']{3,}?)'(?!\w)|\"([^\"]{3,}?)\"|“([^”]{3,}?)”|‘([^’]{3,}?)’|«([^»]{3,}?)»"
    r"|„([^“”]{3,}?)[“”]|「([^」]{2,}?)」"
)
SPEAKERS = (
    r"user|users|caller|callers|customer|customers|speaker|listener|patient|driver|"
    r"tester|someone|she|he|they|person|child|kid|client|reporter|usuario|usuaria|cliente|"
    r"kunde|kundin|utilisateur|utente"
)
# verbs only a person does (a status page "says" things too, so "said" needs a speaker)
SPEECH_VERBS = (
    r"told|asked|repeated|repeating|read out|shouted|yelled|whispered|dictated|"
    r"complained|dijo|sagte|disse|a dit|ne bola|bola|boli|kaha"
)
ATTRIBUTION = re.compile(rf"\b(?:{SPEAKERS}|{SPEECH_VERBS})\b", re.I)
# a dialogue line: one speaker (not a heading such as "Users:") and then words
SPEAKER_LABEL = re.compile(
    r"(?:^|[.;(]\s*|\b(?:the|a|one)\s+)"
    r"(?:user|caller|customer|speaker|agent|patient|driver|client|child)\s*\d*\s*:\s*[^\W\d_]",
    re.I | re.M,
)
TEXT_LABEL = re.compile(
    r"\b(?:transcript|transcription|utterance(?: text)?|what the user said|asr output|"
    r"hypothesis|recogni[sz]ed text|said)\s*[:=]\s*\S",
    re.I,
)
FIRST_PERSON = {"i", "i'm", "i've", "i'd", "i'll", "me", "my", "mine", "myself", "im"}
DISCOURSE = {"hey", "hi", "hello", "ok", "okay", "yes", "yeah", "yep", "um", "uh", "please"}
# an assistant's everyday requests, the first word of a spoken command
COMMANDS = {
    "turn", "set", "call", "play", "send", "book", "cancel", "remind", "wake", "open",
    "show", "text", "navigate", "lock", "unlock", "dim", "order", "pay", "transfer", "find",
    "tell", "read", "add", "what's", "where's", "is", "are", "can", "could", "will", "would",
}  # fmt: skip
# a spoken question: a wh-word with an auxiliary right after it (not "how much of the ...")
QUESTION = re.compile(
    r"^(?:what|where|when|how|why|who|which)(?: (?:long|far|often|many|much))?"
    r" (?:is|are|was|were|do|does|did|can|could|will|would|should|i|my)\b"
)
# words of a packet's own trade: a lowercase run holding one is an engineer's sentence
OPS = {
    "flag", "pool", "pools", "replica", "replicas", "deploy", "rollback", "cache", "model",
    "traffic", "alert", "dashboard", "config", "release", "canary", "drain", "restart",
    "scale", "pod", "pods", "node", "queue", "version", "build", "latency", "metric",
    "metrics", "rollout", "cohort", "tenant", "service", "server", "endpoint", "slo", "eval",
}  # fmt: skip
LOWER_RUN = re.compile(r"(?<![\w'’-])[a-z][a-z'’]*(?:[ ,]+[a-z][a-z'’]*){3,}(?![\w'’-])")
# romanised Hindi's commonest words (wordfreq has Hindi only in Devanagari)
HINGLISH = {
    "hai", "hain", "mera", "meri", "mere", "mujhe", "kya", "kahan", "kaha", "kitna", "kitni",
    "nahi", "nahin", "aap", "tum", "hum", "yeh", "woh", "kal", "abhi", "karo", "kardo",
    "dena", "bhaiya", "bhai", "accha", "theek", "chahiye", "batao", "bolo", "ho", "gaya",
}  # fmt: skip
FOREIGN = ("es", "de", "pt", "fr", "it", "nl", "pl", "tr", "sv", "id")


def spoken_words(text: str) -> Iterator[Found]:
    yield from _quoted_speech(text)
    for pattern in (SPEAKER_LABEL, TEXT_LABEL):
        yield from (Found(SPEECH, *m.span()) for m in pattern.finditer(text))
    yield from _other_scripts(text)
    yield from _other_languages(text)
    yield from _utterance_runs(text)


def _quoted_speech(text: str) -> Iterator[Found]:
    """A quotation of words (not an identifier) that someone said: attributed to a speaker
    in its sentence, or in the first person."""
    for match in QUOTE.finditer(text):
        inner = next(g for g in match.groups() if g is not None)
        words = re.findall(r"[^\W\d_][\w'’]*", inner)
        if len(words) < 2 or re.search(r"[_=/*]|\w-\w|\w\.\w", inner):
            continue
        first_person = any(w.lower() in FIRST_PERSON for w in words)
        if first_person or _attributed(text, match.start(), match.end()):
            yield Found(SPEECH, *match.span())


# a sentence ends at . ; ! ? and a space, except after a title or a Latin abbreviation
SENTENCE_END = re.compile(
    r"(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bProf)(?<!e\.g)(?<!i\.e)"
    r"[.;!?](?=\s)"
)


def _attributed(text: str, start: int, end: int) -> bool:
    """A speaker or a verb of saying next to the quotation, in its sentence."""
    sentence = _sentence_around(text, start, end)
    at = text.find(sentence)
    near = (
        text[max(at, start - NEAR) : start] + " " + text[end : min(at + len(sentence), end + NEAR)]
    )
    return bool(ATTRIBUTION.search(near))


NEAR = 40  # characters either side of a quotation where its speaker is named


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in SENTENCE_END.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in SENTENCE_END.finditer(text, end)), len(text))
    return text[left:right]


def _other_scripts(text: str) -> Iterator[Found]:
    """Words in a script other than Latin: a packet is written in English, so these are
    someone's words (an utterance, a name)."""
    shape = "".join(_script_class(char) for char in text)
    for run in re.finditer(r"F[FM]*(?:[ Z]+F[FM]*)*", shape):
        if run.end() - run.start() >= 2:
            yield Found(SPEECH, *run.span())


def _script_class(char: str) -> str:
    """F a letter of another script, M a combining mark, Z a space or joiner, O other."""
    if char.isalpha():
        return "O" if _latin(char) else "F"
    if unicodedata.category(char).startswith("M"):
        return "M"  # Devanagari vowel signs, viramas
    return "Z" if char in " \u200c\u200d" else "O"


def _latin(char: str) -> bool:
    name = unicodedata.name(char, "")
    return name.startswith("LATIN") or name.startswith("GREEK")  # σ, μ: units and stats


def _other_languages(text: str) -> Iterator[Found]:
    """A run of words in one other language (Spanish, German, Portuguese, romanised
    Hindi, ...): three of any five consecutive words far commoner there than in English."""
    tokens = [(m.group(0).lower(), m.span()) for m in re.finditer(r"[^\W\d_]+", text)]
    marks = [_language_of(word) for word, _ in tokens]
    for i in range(len(tokens)):
        window = [m for m in marks[i : i + 5] if m]
        for lang in set(window):
            if window.count(lang) >= 3:
                yield Found(SPEECH, tokens[i][1][0], tokens[min(i + 4, len(tokens) - 1)][1][1])
                break


@lru_cache(maxsize=4096)
def _language_of(word: str) -> str | None:
    """The language a word belongs to if it is far commoner there than in English."""
    if word in HINGLISH:
        return "hi-Latn"
    if len(word) < 2:
        return None
    from wordfreq import zipf_frequency  # its word lists load once, on first use

    english = zipf_frequency(word, "en")
    best = max(FOREIGN, key=lambda lang: zipf_frequency(word, lang))
    there = zipf_frequency(word, best)
    return best if there >= 3.0 and there - english >= 1.5 else None


def _utterance_runs(text: str) -> Iterator[Found]:
    """A lowercase run of words as a recogniser writes them (no capitals, no digits), in
    the first person, opening with a greeting or a yes/no, or (after a label's colon or as
    the whole text) a spoken command with no word of the trade in it."""
    for match in LOWER_RUN.finditer(text):
        words = re.findall(r"[a-z'’]+", match.group(0))
        if OPS & set(words):
            continue  # an engineer's sentence ("ping me if the rollback stalls")
        if any(w in FIRST_PERSON for w in words) or words[0] in DISCOURSE:
            yield Found(SPEECH, *match.span())
            continue
        opens = text[: match.start()].rstrip()
        introduced = opens.endswith(":") or not opens
        spoken = words[0] in COMMANDS or QUESTION.match(" ".join(words))
        if introduced and spoken and len(words) >= 5:
            yield Found(SPEECH, *match.span())


# --- a named account --------------------------------------------------------------------

ACCOUNT_ID = re.compile(
    r"\b(?:account|acct|acc|customer|cust|client|subscriber|member|user)"
    r"(?:[ _-]?(?:id|no|number|num))?\.?\s*[#:=]?\s*[A-Z]{0,4}[-_#]?\d[\dA-Z-]{3,}\b"
    r"|\b(?:ACC|ACCT|CUS|CUST|CID|UID|USR|MBR|SUB)[-_#]?\d{3,}\b",
    re.I,
)
NAME = re.compile(
    r"\b(?:(?:Dr|Mr|Mrs|Ms|Mx|Prof)\.?\s+)?[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){1,2}\b"
    r"|\b(?:Dr|Mr|Mrs|Ms|Mx|Prof)\.?\s+[A-Z][a-z'’-]+\b"
)


def named_accounts(text: str) -> Iterator[Found]:
    """An account or customer id with a person's name in the same sentence: together they
    say whose record it is."""
    for account in ACCOUNT_ID.finditer(text):
        sentence = _sentence_around(text, account.start(), account.end())
        offset = text.find(sentence)
        for name in NAME.finditer(sentence):
            if offset + name.start() > 0 or _honorific(name.group(0)):
                yield Found(NAMED_ACCOUNT, *account.span())
                break


def _honorific(name: str) -> bool:
    return bool(re.match(r"(?:Dr|Mr|Mrs|Ms|Mx|Prof)\b", name))
