"""Personal data found by what the text is (drills/course/release/privacy.py): near misses both
ways, generated dates, versions, ids and real phone formats, and the near-miss corpus
written by someone who never saw the checker (tuned on one half, measured on the other)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import phonenumbers
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from drills.course.release.privacy import (
    AUDIO,
    EMAIL,
    NAMED_ACCOUNT,
    PHONE,
    REGIONS,
    SPEECH,
    find,
)

CORPUS = Path(__file__).parent / "privacy"


def kinds(text: str) -> set[str]:
    return {f.what for f in find(text)}


# what issue 40 found misread: each clean one was rejected, each personal one passed
CLEAN = [
    "Launch at 2025-03-18 14:00 UTC, full traffic by 16:00",
    "Tracked as REL-2025-0318-04",
    "Window 2026-03-18 13:30-15:00",
    "https://grafana.example.com/d/tts?from=1742306400000&to=1742310000000",
    "build 20260318.1234",
    "image tts-cpu:1.14.3.20260318",
    "asr-large@2.4.1 replaces asr-large@2.3.0",
    "pinned from git@github.com:acme/tts.git",
    "p95 under 250 ms at 1200 rps for 72 h",
    "Users said the captions lag behind the speaker on long calls.",
    "Alert 'TTSFirstByteSlow' may fire for ten minutes after the flip",
    'Status page says "Some voice replies are delayed"',
    "The service account 'svc-tts-release' owns the job, not a person.",
]
PERSONAL = [
    ("call 415.555.0173 if stuck", PHONE),
    ("Berlin office 030/1234-5678", PHONE),
    ("escalate to +44 20 7946 0958", PHONE),
    ("jane.doe@example.com", EMAIL),
    ("one user said 'the voice keeps cutting out when I ask for directions'", SPEECH),
    ("A caller told us: cancel my order right now please", SPEECH),
    ("Failing utterance: quiero pagar mi factura de la luz", SPEECH),
    ("Regressed on मुझे बिल भरना है", SPEECH),
    ("Complaint from Ana Pereira (customer 5512-0931)", NAMED_ACCOUNT),
    ("repro in s3://bucket/calls/2026-11-30/user42.wav", AUDIO),
]


@pytest.mark.parametrize("text", CLEAN)
def test_dates_ids_versions_and_paraphrase_are_not_personal_data(text):
    assert find(text) == []


@pytest.mark.parametrize(("text", "what"), PERSONAL)
def test_personal_data_is_found_as_what_it_is(text, what):
    assert what in kinds(text)


@settings(max_examples=60, deadline=None)
@given(
    at=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
    minutes=st.integers(1, 600),
    version=st.tuples(st.integers(0, 30), st.integers(0, 99), st.integers(0, 999)),
    ticket=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=5),
    serial=st.integers(0, 9999),
)
def test_generated_dates_windows_versions_builds_and_tickets_pass(
    at, minutes, version, ticket, serial
):
    end = at + timedelta(minutes=minutes)
    day = at.strftime("%Y%m%d")
    major, minor, patch = version
    text = (
        f"Launch {at:%Y-%m-%d %H:%M} UTC, window {at:%Y-%m-%d %H:%M}-{end:%H:%M}; "
        f"build {day}.{serial:04d}; image asr-cpu:{major}.{minor}.{patch}.{day}; "
        f"asr-large@{major}.{minor}.{patch}; ticket {ticket}-{at:%Y}-{at:%m%d}-{serial % 100:02d}"
    )
    assert find(text) == [], text


@pytest.mark.parametrize("region", REGIONS)
def test_each_regions_numbers_in_its_own_formats_are_phone_numbers(region):
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    for style in (
        phonenumbers.PhoneNumberFormat.NATIONAL,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.E164,
    ):
        written = phonenumbers.format_number(number, style)
        assert PHONE in kinds(f"the reporter's mobile is {written}, call after 9"), written


def rates(half: str) -> tuple[list[str], list[str], int, int]:
    """(personal entries passed, clean entries rejected, personal count, clean count)."""
    rows = yaml.safe_load((CORPUS / f"{half}.yaml").read_text())
    passed = [r["text"] for r in rows if r["label"] == "personal" and not find(r["text"])]
    rejected = [r["text"] for r in rows if r["label"] == "clean" and find(r["text"])]
    personal = sum(r["label"] == "personal" for r in rows)
    return passed, rejected, personal, len(rows) - personal


def test_the_tuning_half_of_the_near_miss_corpus():
    passed, rejected, personal, clean = rates("tune")
    assert (personal, clean) == (40, 35)
    assert passed == [] and rejected == []


# Measured once, after tuning on the other half (docs/release-lab.md says which entries
# and why); a change to the checker may lower these, never raise them.
HELD_OUT_PASSED, HELD_OUT_REJECTED = 3, 1


def test_the_held_out_half_of_the_near_miss_corpus():
    passed, rejected, personal, clean = rates("heldout")
    assert (personal, clean) == (42, 49)  # at least 30 near misses each way
    assert len(passed) <= HELD_OUT_PASSED, passed  # false accepts: 3/42 = 7.1%
    assert len(rejected) <= HELD_OUT_REJECTED, rejected  # false rejects: 1/49 = 2.0%
