"""Writes the adversarial transcript set (tests/adversarial/<scenario>/<variant>.yaml).

Each scenario gets the same trainees, built from its expert transcript and a few
scenario-specific words below, so that a fair examiner's ranking can be asserted on every
scenario (tests/test_scoring_adversarial.py):

    paraphrase      the expert's looks and queries rewritten as CTEs only, the cause and
                    prevention in the trainee's own words — scores as the expert
    blind           no look at all: the right fix at minute 0 and the right cause
    sweep           three generic "group by everything" queries, then the right fix/cause
    narrow-sweep    four generic queries grouping narrow tables by four columns, numbers
                    among them, then the right fix/cause — a sweep all the same
    one-row         one query per key signal with a focus, each one row of the focus
                    bounded to after the change, then the right fix/cause
    buzzwords       the expert's path, prevention a generic list of buzzwords
    fragments       the expert's path, prevention a list of fragments tailored to the
                    incident (the key's own item names)
    negated         the expert's path, each prevention item negated
    wrong-cause     the expert's investigation and fix, the wrong cause
    ruled-out-right the expert's path, the right cause ruled out for a wrong one
    right-after-ruled-out
                    the expert's path, a wrong cause ruled out, then the right one
    listed-harm     the expert's path plus a harmful move the key lists, and the key's
                    harmful restart of every pool done one pool at a time (split in steps)
    unlisted-harm   the expert's path plus a harmful move the key does not list
    nonsense-reroute
                    the expert's path with the fix replaced by rerouting the incident's
                    kind onto a pool whose model cannot serve it
    canary-drain    the expert's path, then all batch transcription moved onto the
                    one-replica canary pool
    retry-cap       (a retry storm only) the expert's path with the fix replaced by
                    capping client retries at one attempt
    slow            the same evidence after a long wander, fixed late (within the time box)
    equivalent-fix  the expert's path with the fix spelt another way

The trainees whose moves are the expert's (or whose fix comes at the paraphrase's minute)
share its re-simulated runs: only listed-harm, unlisted-harm and canary-drain (two runs
each: theirs, and their other moves without the fix), nonsense-reroute, retry-cap, slow,
blind and equivalent-fix (one each) add runs of their own.

Run `python -m tests.adversarial.build` after changing a scenario's expert transcript.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
LIBRARY = HERE.parents[1] / "scenarios"

SWEEP = [
    "SELECT kind, pool, device, tags, cohort, language, slice, model_version, count(*) AS n, "
    "avg(latency_ms) AS latency, sum(cost_usd) AS usd, avg(confidence) AS confidence, "
    "avg(wer_proxy) AS wer FROM requests GROUP BY ALL ORDER BY n DESC",
    "SELECT name, labels, avg(value) AS value FROM metrics GROUP BY ALL ORDER BY name, labels",
    "SELECT type, target, detail, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC",
]
BUZZWORDS = [
    "alerts",
    "dashboards",
    "canary",
    "slice gates",
    "cost per request alert",
    "fallback rate alarm",
    "churn metric",
    "latency budget",
    "eval fixtures",
    "cohort dashboards",
    "acoustic summaries",
    "code-switching gate",
    "routing mistake metric",
    "version the feature config",
    "deploy gate",
    "vad config gate",
    "overlap stages",
    "not offline MOS alone",
]
WANDER = ["latency-by-kind", "queue-depth", "errors", "replicas", "batch-fill", "traffic"]
# generic queries over the narrow tables, each grouping by four columns (numbers among them)
NARROW_SWEEP = [
    "SELECT pool, device, model_version, size, count(*) AS n, avg(end_s - start_s) AS busy_s, "
    "sum(cost_usd) AS usd FROM batches GROUP BY ALL ORDER BY n DESC",
    "SELECT type, target, detail, t_s, count(*) AS n FROM events GROUP BY ALL ORDER BY t_s",
    "SELECT kind, attempt, corrected, eval_sample, count(*) AS n, avg(latency_ms) AS latency, "
    "avg(wer_proxy) AS wer, avg(confidence) AS confidence FROM requests GROUP BY ALL "
    "ORDER BY n DESC",
    "SELECT pool, max_batch, size, device, count(*) AS n, avg(padded_audio_s) AS padded "
    "FROM batches GROUP BY ALL ORDER BY n DESC",
]
# a pool whose model cannot serve the kind (a nonsense reroute)
UNRELATED = {
    "asr-batch": "tts-cpu",
    "asr-streaming": "tts-cpu",
    "tts": "asr-batch-gpu",
    "embedding": "cls-cpu",
    "classifier": "embed-cpu",
}
STAT_SQL = {"mean": "avg({})", "p95": "quantile_cont({}, 0.95)", "sum": "sum({})"}
TIME_COLUMN = {"requests": "arrival_s", "batches": "start_s", "metrics": "t_s", "events": "t_s"}

SPECIFIC: dict[str, dict[str, Any]] = {
    "live-captions-slower-and-jumpier": {
        "cause_words": "the update rescores every interim hypothesis with the language model, "
        "which delays the first words of live captions and reshuffles them",
        "prevention_words": [
            "set a latency budget for the first partial and gate releases on it",
            "measure how often partials are rewritten alongside final WER",
            "keep LM rescoring for the final hypotheses only",
        ],
        "wrong_cause": "partial-stabilisation-disabled",
        "unlisted_harm": {"action": "scale", "args": {"pool": "tts-cpu", "replicas": 0}},
        "equivalent_fix": {"action": "rollback", "args": {"target": "models.asr-stream-v2"}},
    },
    "audio-tagging-stuck-failing": {
        "cause_words": "the new SDK's aggressive client retries flood the classifier: every "
        "timed-out call comes back several times, so the queue never drains",
        "prevention_words": [
            "page on the share of requests that are retries",
            "cap client retries with a token bucket",
            "cancel queued work once its deadline has passed",
        ],
        "wrong_cause": "noisy-neighbour",
        "unlisted_harm": {"action": "scale", "args": {"pool": "tts-cpu", "replicas": 0}},
        "equivalent_fix": {"action": "rollback", "args": {"target": "retries.budget_ratio"}},
    },
    "live-captions-lag-and-batch-spend-up": {
        "cause_words": "one cohort's audio now crosses a jittery carrier network, and the "
        "launch also left batch traffic mirrored onto the release candidate as shadow copies",
        "prevention_words": [
            "page on first partial latency split by device cohort",
            "shift devices onto a new network path as a staged rollout",
            "shadow mirrors switch themselves off automatically at an end date",
        ],
        "wrong_cause": "beam-width-changed",
        "unlisted_harm": {"action": "scale", "args": {"pool": "tts-cpu", "replicas": 0}},
        "equivalent_fix": {
            "action": "set",
            "args": {"path": "cohorts[fw-4.1].network_jitter_ms", "value": 10},
        },
    },
    "voice-replies-slow-and-gpu-bill-up": {
        "cause_words": "voice b is a heavier synthesis model that doubles time to first "
        "audio; separately the embedding health check broke and embeddings fell back onto "
        "the A100s",
        "prevention_words": [
            "gate voice promotion on a time to first audio budget, never on offline MOS alone",
            "page when the fallback share of a route passes a few percent",
            "smoke-test the readiness probe before the rollout proceeds",
        ],
        "wrong_cause": "traffic-surge",
        "unlisted_harm": {"action": "scale", "args": {"pool": "asr-batch-gpu", "replicas": 0}},
        "equivalent_fix": {
            "action": "set",
            "args": {"path": "pools.tts-cpu.model", "value": "tts-voice-a"},
        },
    },
    "gpu-cost-no-traffic": {
        "cause_words": "the embedding health check broke in the deploy, so speaker "
        "embeddings fell back from the CPU pool onto the A100 GPU pool",
        "prevention_words": [
            "page on spend per request, broken out by device",
            "alarm when the share of fallback traffic on a route goes above a few percent",
            "make the rollout exercise the readiness probe before it proceeds",
        ],
        "wrong_cause": "shadow-mirroring-left-on",
        "unlisted_harm": {"action": "scale", "args": {"pool": "asr-batch-gpu", "replicas": 0}},
        "equivalent_fix": {
            "action": "set",
            "args": {"path": "pools.embed-cpu.healthy", "value": True},
        },
    },
    "voice-agent-first-response": {
        "cause_words": "the new patient VAD profile waits 800 ms of silence before it ends "
        "the user's turn, so every response starts late",
        "prevention_words": [
            "split the 700 ms into a budget for each stage: VAD, ASR final, retrieval, LLM, TTS",
            "treat VAD profile pushes as a release with a latency canary",
            "start retrieval from the ASR partials instead of waiting for the final",
        ],
        "wrong_cause": "heavier-voice-model",
        "unlisted_harm": {"action": "scale", "args": {"pool": "asr-batch-gpu", "replicas": 0}},
        "equivalent_fix": {"action": "rollback", "args": {"target": "models.asr-stream-v2"}},
    },
    "streaming-partials-unstable": {
        "cause_words": "the decoder push turned off partial stabilisation, so interim "
        "hypotheses flicker and words get retracted",
        "prevention_words": [
            "track how many words partials retract per session and page on it",
            "replay the same recordings through the old and new decoder and diff them",
            "roll decoder config out through a canary like a model release",
        ],
        "wrong_cause": "network-jitter",
        "unlisted_harm": {"action": "scale", "args": {"pool": "asr-batch-gpu", "replicas": 0}},
        "equivalent_fix": {
            "action": "set",
            "args": {
                "path": "models.asr-stream-v2.decoder.stabilization",
                "value": "hold_last_word",
            },
        },
    },
    "tts-first-audio-byte": {
        "cause_words": "voice b has a bigger acoustic model and vocoder, so synthesis of "
        "the first chunk is slower",
        "prevention_words": [
            "block promotion of a voice when time to first audio breaks its budget",
            "roll new voices out to a small percentage first with an automatic halt",
            "never promote a voice on offline MOS alone",
        ],
        "wrong_cause": "network-jitter",
        "unlisted_harm": {"action": "scale", "args": {"pool": "asr-batch-gpu", "replicas": 0}},
        "equivalent_fix": {
            "action": "set",
            "args": {"path": "pools.tts-cpu.model", "value": "tts-voice-a"},
        },
    },
    "mic-firmware-drift": {
        "cause_words": "firmware 4.2 raised the microphone gain and the audio now clips",
        "prevention_words": [
            "break every ASR quality graph down by device build",
            "watch aggregate clipping and loudness for each firmware",
            "record eval fixtures through the real device path and add them to the eval set",
        ],
        "wrong_cause": "mic-firmware-sample-rate",
        "unlisted_harm": {"action": "scale", "args": {"pool": "tts-cpu", "replicas": 0}},
        "equivalent_fix": {
            "action": "set",
            "args": {"path": "cohorts[fw-4.2].gain_db", "value": 0.0},
        },
    },
    "code-switching-canary": {
        "cause_words": "the canary model is worse on code-switched Spanish-English speech",
        "prevention_words": [
            "gate ASR releases on a mixed-language eval",
            "launch dashboards broken down by language",
            "require a language-mix analysis in the release note for every ASR change",
        ],
        "wrong_cause": "traffic-surge",
        "unlisted_harm": {"action": "scale", "args": {"pool": "tts-cpu", "replicas": 0}},
        "equivalent_fix": {"action": "pause-canary", "args": {"route": 0}},
    },
    "far-field-transcripts-worse": {
        "cause_words": "the cascade threshold change routes noisy far-field audio to the "
        "small model",
        "prevention_words": [
            "a metric and an alert for misrouted hard audio",
            "gate router changes on the noisy far-field slice, not global WER",
            "canary router changes with a capped blast radius and a kill switch",
        ],
        "wrong_cause": "gpu-hardware-degradation",
        "unlisted_harm": {"action": "scale", "args": {"pool": "tts-cpu", "replicas": 0}},
        "equivalent_fix": {"action": "rollback", "args": {"target": "routes"}},
    },
    "recognition-collapse-after-release": {
        "cause_words": "the preprocessing release changed the mel features, which no longer "
        "match what the model weights were trained on",
        "prevention_words": [
            "ship the feature config inside the same versioned artifact as the weights",
            "unit tests that check feature shapes and sample-rate handling",
            "shadow traffic and a deterministic eval before any rollout",
        ],
        "wrong_cause": "code-switching-regression",
        "unlisted_harm": {"action": "scale", "args": {"pool": "tts-cpu", "replicas": 0}},
        "equivalent_fix": {
            "action": "set",
            "args": {"path": "stages.preprocess.feature_config", "value": "logmel80-16k"},
        },
    },
    "asr-spend-jump-after-launch": {
        "cause_words": "the launch left its shadow evaluation on: every batch request is "
        "mirrored to the release-candidate pool, copies nobody waits for",
        "prevention_words": [
            "page when mirrored copies become a large share of what the fleet runs",
            "give every shadow run an end date so it turns itself off",
            "break the bill down by traffic tag, shadow and canary included",
        ],
        "wrong_cause": "traffic-surge",
        "unlisted_harm": {"action": "scale", "args": {"pool": "tts-cpu", "replicas": 0}},
        "equivalent_fix": {"action": "set", "args": {"path": "routes.0.shadow", "value": None}},
    },
    "tts-slow-after-config-push": {
        "cause_words": "the throughput push turned on dynamic batching for the CPU speech "
        "synthesis pool, so each reply waits for a batch that costs its size in compute",
        "prevention_words": [
            "page on the 95th percentile of time to first audio against its 250 ms budget",
            "roll out serving configuration such as batching behind a canary with a load test",
            "keep CPU synthesis unbatched on the interactive path",
        ],
        "wrong_cause": "heavier-voice-model",
        "unlisted_harm": {"action": "scale", "args": {"pool": "asr-stream-gpu", "replicas": 0}},
        "equivalent_fix": {
            "action": "set",
            "args": {"path": "pools.tts-cpu.batching.max_batch", "value": 1},
        },
    },
    "live-captions-lag-one-cohort": {
        "cause_words": "one device cohort's traffic moved to a new carrier gateway whose "
        "network jitter delays the audio chunks, so captions lag and rewrite themselves",
        "prevention_words": [
            "page on first partial latency broken out per device cohort",
            "measure jitter and round trip time on the client and send them as telemetry",
            "move devices to a new gateway gradually with a canary",
        ],
        "wrong_cause": "partial-stabilisation-disabled",
        "unlisted_harm": {"action": "scale", "args": {"pool": "tts-cpu", "replicas": 0}},
        "equivalent_fix": {
            "action": "set",
            "args": {"path": "cohorts[fw-4.1].network_jitter_ms", "value": 10},
        },
    },
    "batch-transcripts-slow-and-pricey": {
        "cause_words": "the decoder push widened the batch recogniser's beam search, so "
        "every batch computes longer and the pool scaled to a second GPU",
        "prevention_words": [
            "page on GPU spend per request in each pool, not only the total bill",
            "roll out decoder settings behind a canary with a capacity estimate",
            "an accuracy knob such as the beam ships with its measured cost and latency budget",
        ],
        "wrong_cause": "shadow-mirroring-left-on",
        "unlisted_harm": {"action": "scale", "args": {"pool": "embed-cpu", "replicas": 0}},
        "equivalent_fix": {
            "action": "set",
            "args": {"path": "models.asr-batch-v3.decoder.beam", "value": 1},
        },
    },
    "transcripts-garbled-one-cohort": {
        "cause_words": "the firmware update makes those devices record at 8 kHz while "
        "still labelling the audio 16 kHz, so the recogniser hears it at the wrong rate",
        "prevention_words": [
            "check that every cohort's measured bandwidth matches the sample rate it declares",
            "slice quality alerts by firmware cohort",
            "record eval fixtures through the device's own audio path for each firmware",
        ],
        "wrong_cause": "mic-firmware-clipping",
        "unlisted_harm": {"action": "scale", "args": {"pool": "asr-batch-gpu", "replicas": 0}},
        "equivalent_fix": {
            "action": "set",
            "args": {"path": "cohorts[fw-4.1].true_sample_rate_hz", "value": 16000},
        },
    },
}


# the kind of request each incident hurts (the one a nonsense reroute moves)
INCIDENT_KIND = {
    "live-captions-slower-and-jumpier": "asr-streaming",
    "audio-tagging-stuck-failing": "classifier",
    "live-captions-lag-and-batch-spend-up": "asr-streaming",
    "voice-replies-slow-and-gpu-bill-up": "tts",
    "gpu-cost-no-traffic": "embedding",
    "voice-agent-first-response": "asr-streaming",
    "streaming-partials-unstable": "asr-streaming",
    "tts-first-audio-byte": "tts",
    "mic-firmware-drift": "asr-batch",
    "code-switching-canary": "asr-batch",
    "far-field-transcripts-worse": "asr-batch",
    "recognition-collapse-after-release": "asr-batch",
    "asr-spend-jump-after-launch": "asr-batch",
    "tts-slow-after-config-push": "tts",
    "live-captions-lag-one-cohort": "asr-streaming",
    "batch-transcripts-slow-and-pricey": "asr-batch",
    "transcripts-garbled-one-cohort": "asr-batch",
}


def one_row(signal: dict[str, Any]) -> dict[str, Any]:
    """One row: the signal's statistic in its focus group, over the time after it changed."""
    table, column = signal["table"], signal["column"]
    stat = signal.get("stat", "mean")
    value = "count(*)" if stat == "count" else STAT_SQL[stat].format(column)
    wanted = {**signal.get("filter", {}), **signal.get("focus", {})}
    conditions = [
        f"{c} = '{v}'" if isinstance(v, str) else f"{c} IN ({', '.join(repr(x) for x in v)})"
        for c, v in wanted.items()
    ]
    conditions.append(f"{TIME_COLUMN[table]} >= {float(signal['window_s'][0]):g}")
    return {"query": f"SELECT {value} AS value FROM {table} WHERE {' AND '.join(conditions)}"}


def fragments(key: dict[str, Any]) -> list[str]:
    """Short fragments tailored to the incident: the key's own names for its prevention
    items, its cause and its first signal, with no point made."""
    names = [p["id"] for p in key["prevention"]] + [key["cause"], key["signals"][0]["id"]]
    return [name.replace("-", " ") for name in names]


def as_cte(move: dict[str, Any], panels: dict[str, str]) -> dict[str, Any]:
    sql = panels[move["look"]] if "look" in move else move["query"]
    return {"query": f"WITH view AS ({sql}) SELECT * FROM view"}


def parts(
    expert: dict[str, Any],
) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """(moves before the fix, the fix, moves after it, the conclusion)."""
    moves = expert["moves"]
    fix = next(i for i, m in enumerate(moves) if "act" in m)
    return moves[:fix], moves[fix], moves[fix + 1 : -1], moves[-1]


def clock_before(moves: list[dict[str, Any]]) -> float:
    return sum(1.0 if "look" in m else 2.0 if "query" in m else 5.0 for m in moves)


def _playable(move: dict[str, Any]) -> bool:
    from drills.play.actions import ACTIONS, ActionError, parse_action

    try:
        parse_action(move["action"], move.get("args", {}))
    except ActionError:
        return False
    return not ACTIONS[move["action"]].unsafe


def variants(
    scenario: str, expert: dict[str, Any], key: dict[str, Any], fleet: Any, box: float
) -> dict[str, list[Any]]:
    from drills.judge.causes import CAUSES
    from drills.play.panels import PANELS

    panels = {name: p.sql for name, p in PANELS.items()}
    spec = SPECIFIC[scenario]
    before, fix, after, conclusion = parts(expert)
    concl = conclusion["conclude"]
    fix_min = clock_before(before)
    cte_min = clock_before([as_cte(m, panels) for m in before])

    def ending(**override: Any) -> dict[str, Any]:
        return {"conclude": {**concl, **override}}

    playable = [h for h in key["harmful"] if _playable(h)]
    listed = next((h for h in playable if h["id"] != "restart-everything"), playable[0])
    restart_each = [{"act": {"action": "restart", "args": {"pool": p}}} for p in fleet.pools]
    right, wrong = CAUSES[key["cause"]], CAUSES[spec["wrong_cause"]]
    rows = [one_row(s) for s in key["signals"] if s.get("focus") and s["window_s"][0] > 0]
    kind = INCIDENT_KIND[scenario]
    drain = [
        {
            "act": {
                "action": "reroute",
                "args": {"match": {"kind": "asr-batch"}, "pool": "asr-batch-canary"},
            }
        }
    ]
    if fleet.pools["asr-batch-canary"].replicas == 0:  # a canary of one replica
        scale = {"action": "scale", "args": {"pool": "asr-batch-canary", "replicas": 1}}
        drain.insert(0, {"act": scale})
    out = {
        "paraphrase": [
            *(as_cte(m, panels) for m in before),
            fix,
            *after,
            ending(cause=spec["cause_words"], prevention=spec["prevention_words"]),
        ],
        "blind": [{**fix, "at_min": 0}, ending()],
        # the fix at the paraphrase's minute: the two share one re-simulated run
        "sweep": [*({"query": q} for q in SWEEP), {**fix, "at_min": cte_min}, ending()],
        "narrow-sweep": [
            *({"query": q} for q in NARROW_SWEEP),
            {**fix, "at_min": max(cte_min, 2.0 * len(NARROW_SWEEP))},
            ending(),
        ],
        "one-row": [*rows, {**fix, "at_min": max(cte_min, 2.0 * len(rows))}, ending()],
        "buzzwords": [*before, fix, *after, ending(prevention=BUZZWORDS)],
        "fragments": [*before, fix, *after, ending(prevention=fragments(key))],
        "negated": [
            *before,
            fix,
            *after,
            ending(prevention=[f"we do not need to {p}" for p in concl.get("prevention", [])]),
        ],
        "wrong-cause": [*before, fix, *after, ending(cause=spec["wrong_cause"])],
        "ruled-out-right": [
            *before,
            fix,
            *after,
            ending(cause=f"{right} is not the problem here; it is {wrong}"),
        ],
        "right-after-ruled-out": [
            *before,
            fix,
            *after,
            ending(cause=f"it wasn't {wrong} this time; {spec['cause_words']}"),
        ],
        "listed-harm": [
            *before,
            {"act": {"action": listed["action"], "args": listed["args"]}},
            fix,
            *restart_each,
            *after,
            conclusion,
        ],
        "unlisted-harm": [*before, {"act": spec["unlisted_harm"]}, fix, *after, conclusion],
        "nonsense-reroute": [
            *before,
            {
                "act": {
                    "action": "reroute",
                    "args": {"match": {"kind": kind}, "pool": UNRELATED[kind]},
                }
            },
            *after,
            conclusion,
        ],
        "canary-drain": [*before, fix, *drain, *after, conclusion],
        "slow": [
            *({"look": p} for p in WANDER),
            *before,
            # late, but within the time box (a replay refuses a move past it)
            {**fix, "at_min": min(fix_min + len(WANDER) + 14, box - 1)},
            *after,
            ending(prevention=concl.get("prevention", [])[:1]),
        ],
        "equivalent-fix": [*before, {"act": spec["equivalent_fix"]}, *after, conclusion],
    }
    if key["cause"] == "retry-storm":
        cap = {"action": "set", "args": {"path": "retries.max_attempts", "value": 1}}
        out["retry-cap"] = [*before, {"act": cap}, *after, conclusion]
    return out


def default_variant(path: Path) -> Any:
    """A scenario file as loaded: its default variant where the folder declares variants."""
    from drills.library.variant_spec import renderer_for
    from simulator.spec.fileio import read_yaml

    return read_yaml(path, renderer_for(path))[0]


def main() -> None:
    from drills.library.scenario import load_scenario

    for scenario in SPECIFIC:
        folder = LIBRARY / scenario
        expert = default_variant(folder / "transcripts" / "expert.yaml")
        key = default_variant(folder / "key.yaml")
        loaded = load_scenario(folder / "scenario.yaml")
        out = HERE / scenario
        out.mkdir(exist_ok=True)
        for name, moves in variants(
            scenario, expert, key, loaded.fleet, loaded.time_box_min
        ).items():
            doc = {"scenario": scenario, "trainee": name, "description": name, "moves": moves}
            (out / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, width=100))


if __name__ == "__main__":
    main()
