"""The language judge on answers written blind (tests/blind/README.md): recall and false
accepts per label on the corpora A to L, asserted at the figures measured when this round of
the judge was done (docs/scoring.md). Each rate is the share judged as a fair examiner would:
a floor on recall, and for the negative labels (wrong, hedge, dismissive, negated, buzzwords,
off-topic) a ceiling on false accepts. Writers A to J (each held out once, then tuned on) are
asserted in the full tier; C's check part is never printed answer by answer. J, held out from
the eighth round and tuned on in the ninth, is asserted in the full tier too; K, held out from
the ninth round (with its hard-polarity set) and tuned on from the tenth, and L, held out
from the tenth (with a hard-polarity set too) and tuned on from the eleventh, are asserted in
`make test`. No simulation."""

from __future__ import annotations

import pytest

from tests.blind.corpus import evaluate

# Writer J (tests/blind/README.md): a tenth writer, 2026-12-07, held out from the eighth round
# of the judge (written blind outside the repository while the round began; measured twice in
# aggregate: the round took J's accepted hedges from 2 to 1 of 17 and moved nothing else; 25 of
# its 34 arguments against a measure were still accepted), tuning data for the ninth
# (docs/scoring.md). Asserted at the figures measured after the ninth round: a change that
# accepts one more wrong, hedged, dismissed or negated answer, or lowers a recall, fails.
WRITER_J: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.8818,  # 30/34 (27/34 before the ninth round)
        "first-only": 0.9995,  # 2/2
        "hedge": 0.9995,  # 17/17 (16/17 before the ninth round)
        "right": 0.8892,  # 121/136 (115/136 before the ninth round)
        "second-only": 0.9995,  # 2/2
        "wrong": 0.9798,  # 50/51
    },
    "prevention": {
        "buzzword-list": 0.9700,  # 33/34
        "dismissive": 0.823,  # 28/34 (27/34 before the fourteenth round, 24/34 the ninth)
        "negated": 0.8818,  # 30/34 (9/34 before the ninth round)
        "right": 0.8791,  # 190/216 (177/216 before the ninth round)
        "unrelated": 0.9995,  # 34/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 0.9995,  # 55/55
        "not covered (dismissive)": 0.9904,  # 109/110 (107/110 before the ninth round)
        "not covered (off-topic)": 0.9813,  # 54/55
        "not covered (partial)": 0.9268,  # 51/55 (52/55 before the tenth round: see its commit)
        "recall": 0.9026,  # 149/165 (148/165 before the tenth round)
    },
    "exam_bands": {
        "buzzword-bullets": 0.9995,  # 5/5
        "dismissive": 0.9995,  # 10/10
        "off-topic": 0.9995,  # 5/5
        "partial": 0.9995,  # 10/10 (7/10 before the ninth round)
        "strong": 0.8995,  # 9/10 (6/10 before the ninth round)
    },
}
# Writer I (tests/blind/README.md): a ninth writer, 2026-12-07, held out from the seventh round
# of the judge (written blind outside the repository before the round began; measured twice in
# aggregate: 111/136 causes, 10 of 34 dismissed right causes, 5 of 34 negated and 4 of 34
# dismissive prevention phrasings accepted after it), tuning data for the eighth
# (docs/scoring.md). Asserted at the figures measured after the eighth round: a change that
# accepts one more wrong, hedged, dismissed or negated answer, or lowers a recall, fails.
WRITER_I: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.9700,  # 33/34 (24/34 before the eighth round)
        "first-only": 0.9995,  # 2/2
        "hedge": 0.9995,  # 17/17 (16/17 before the seventh round)
        "right": 0.8377,  # 114/136 (111/136 before the eighth round)
        "second-only": 0.9995,  # 2/2
        "wrong": 0.9798,  # 50/51 (48/51 before the eighth round)
    },
    "prevention": {
        "buzzword-list": 0.9995,  # 34/34
        "dismissive": 0.9700,  # 33/34 (30/34 before the eighth round)
        "negated": 0.9700,  # 33/34 (32/34 before the ninth round, 29/34 before the eighth)
        "right": 0.8652,  # 187/216 (186/216 before the ninth round)
        "unrelated": 0.9995,  # 34/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 0.9995,  # 55/55
        "not covered (dismissive)": 0.9540,  # 105/110 (103/110 before the eighth round)
        "not covered (off-topic)": 0.9813,  # 54/55
        "not covered (partial)": 0.9267,  # 51/55
        "recall": 0.9449,  # 156/165
    },
    "exam_bands": {
        "buzzword-bullets": 0.9995,  # 5/5
        "dismissive": 0.9995,  # 10/10
        "off-topic": 0.9995,  # 5/5
        "partial": 0.9995,  # 10/10
        "strong": 0.8995,  # 9/10
    },
}
# Writer H (tests/blind/README.md): an eighth writer, 2026-12-06, held out from the sixth round
# of the judge (written blind outside the repository while the round began, dismissals and
# arguments against a measure left wholly to the writer; measured twice in aggregate: 115/136
# causes, 9 of 34 dismissed right causes, 13 of 34 negated and 9 of 34 dismissive prevention
# phrasings accepted after it), tuning data for the seventh (docs/scoring.md). Asserted at the
# figures measured after the seventh round: a change that accepts one more wrong, hedged,
# dismissed or negated answer, or lowers a recall, fails.
WRITER_H: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.9407,  # 32/34 (31/34 before the fourteenth round, 28/34 the eighth)
        "first-only": 0.9995,  # 2/2
        "hedge": 0.9995,  # 17/17 (14/17 before the seventh round)
        "right": 0.8892,  # 121/136 (118/136 before the eighth round)
        "second-only": 0.9995,  # 2/2
        "wrong": 0.9799,  # 50/51
    },
    "prevention": {
        "buzzword-list": 0.9701,  # 33/34
        "dismissive": 0.9995,  # 34/34 (25/34 before the seventh round)
        "negated": 0.9112,  # 31/34 (29/34 before the eighth round, 21/34 before the seventh round)
        "right": 0.9116,  # 197/216 (196/216 before the eleventh round, 195/216 before the seventh)
        "unrelated": 0.9995,  # 34/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 0.9995,  # 55/55
        "not covered (dismissive)": 0.9722,  # 107/110
        "not covered (off-topic)": 0.9995,  # 55/55
        "not covered (partial)": 0.9118,  # 52/57
        "recall": 0.8891,  # 145/163 (144/163 before the tenth round)
    },
    "exam_bands": {
        "buzzword-bullets": 0.9995,  # 5/5
        "dismissive": 0.9995,  # 10/10
        "off-topic": 0.9995,  # 5/5
        "partial": 0.6995,  # 7/10
        "strong": 0.7995,  # 8/10
    },
}
# Writer G (tests/blind/README.md): a seventh writer, 2026-12-06, held out from the fifth round
# of the judge (written blind outside the repository while the round began, with dismissals
# and arguments against a measure left wholly to the writer; measured twice in aggregate:
# 119/136 causes, 5 of 34 dismissed right causes, 8 of 34 negated and 10 of 34 dismissive
# prevention phrasings accepted after it), tuning data for the sixth (docs/scoring.md).
# Asserted at the figures measured after the sixth round: a change that accepts one more
# wrong, hedged, dismissed or negated answer, or lowers a recall, fails.
WRITER_G: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.9995,  # 34/34 (33/34 before the thirteenth round)
        "first-only": 0.9995,  # 2/2
        "hedge": 0.9995,  # 17/17 (15/17 before the seventh round)
        "right": 0.9778,  # 133/136 (119/136 before the sixth round)
        "second-only": 0.9995,  # 2/2
        "wrong": 0.9407,  # 48/51
    },
    "prevention": {
        "buzzword-list": 0.9995,  # 34/34
        "dismissive": 0.9117,  # 31/34 (29/34 before the seventh round, 24/34 before the sixth)
        "negated": 0.9995,  # 34/34 (33/34 before the tenth round)
        "right": 0.9536,  # 206/216 (195/216 before the sixth round)
        "unrelated": 0.9995,  # 34/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 0.9995,  # 55/55
        "not covered (dismissive)": 0.9995,  # 110/110
        "not covered (off-topic)": 0.9817,  # 54/55
        "not covered (partial)": 0.9473,  # 54/57
        "recall": 0.957,  # 156/163 (148/163 before the sixth round)
    },
    "exam_bands": {
        "buzzword-bullets": 0.9995,  # 5/5
        "dismissive": 0.9995,  # 10/10
        "off-topic": 0.9995,  # 5/5
        "partial": 0.8995,  # 9/10 (8/10 before the sixth round)
        "strong": 0.8995,  # 9/10 (8/10 before the sixth round)
    },
}
# Writer F (tests/blind/README.md): a sixth writer, 2026-12-06, held out from the fourth round
# of the judge (measured twice, in aggregate: 112/136 causes, 8 of 34 dismissed right causes,
# 21 of 34 negated and 8 of 34 dismissive prevention phrasings accepted after it), tuning data
# for the fifth (docs/scoring.md). Asserted at the figures measured after the fifth round: a
# change that accepts one more wrong, hedged, dismissed or negated answer, or lowers a recall,
# fails.
WRITER_F: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.9700,  # 33/34 (31/34 before the eighth round)
        "first-only": 0.9995,  # 2/2
        "hedge": 0.9995,  # 17/17 (15/17 before the fifth round)
        "right": 0.8524,  # 116/136 (115/136 before the eighth round)
        "second-only": 0.9995,  # 2/2
        "wrong": 0.9799,  # 50/51 (49/51 before the eighth round)
    },
    "prevention": {
        "buzzword-list": 0.9995,  # 34/34
        "dismissive": 0.9995,  # 34/34 (26/34 before the fifth round)
        "negated": 0.9406,  # 32/34 (29/34 before the eighth round, 13/34 before the fifth round)
        "right": 0.9116,  # 197/216 (196/216 before the eleventh round, 194/216 before the fifth)
        "unrelated": 0.97,  # 33/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 0.9995,  # 55/55
        "not covered (dismissive)": 0.9631,  # 106/110 (105/110 before the eighth round)
        "not covered (off-topic)": 0.9995,  # 55/55
        "not covered (partial)": 0.9631,  # 53/55
        "recall": 0.9329,  # 154/165 (153/165 before the tenth round)
    },
    "exam_bands": {
        "buzzword-bullets": 0.9995,  # 5/5
        "dismissive": 0.9995,  # 10/10
        "off-topic": 0.9995,  # 5/5
        "partial": 0.8995,  # 9/10 (8/10 before the fifth round)
        "strong": 0.8995,  # 9/10
    },
}
# Writer E (tests/blind/README.md): a fifth writer, 2026-12-06, held out from the third round
# of the judge (measured twice, in aggregate: 121/136 causes, 14 of 34 dismissed right causes
# and 18 of 34 negated prevention phrasings accepted after it), tuning data for the fourth
# (docs/scoring.md). Asserted at the figures measured after the fourth round: a change that
# accepts one more wrong, hedged, dismissed or negated answer, or lowers a recall, fails.
WRITER_E: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.9995,  # 34/34 (33/34 before the tenth round)
        "first-only": 0.9995,  # 2/2
        "hedge": 0.9995,  # 17/17
        "right": 0.9774,  # 133/136 (132/136 before the eighth round)
        "second-only": 0.4995,  # 1/2
        "wrong": 0.9406,  # 48/51
    },
    "prevention": {
        "buzzword-list": 0.9995,  # 34/34
        "dismissive": 0.9995,  # 34/34
        "negated": 0.9995,  # 34/34
        "right": 0.9022,  # 195/216 (193/216 before the ninth round, 192/216 before the seventh)
        "unrelated": 0.9995,  # 34/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 0.9995,  # 55/55
        "not covered (dismissive)": 0.9631,  # 106/110
        "not covered (off-topic)": 0.9449,  # 52/55
        "not covered (partial)": 0.9007,  # 73/81
        "recall": 0.9068,  # 176/194 (173/194 before the tenth round)
    },
    "exam_bands": {
        "buzzword-bullets": 0.9995,  # 5/5
        "dismissive": 0.9995,  # 10/10
        "off-topic": 0.7995,  # 4/5
        "partial": 0.8661,  # 13/15
        "strong": 0.7996,  # 8/10 (7/10 before the tenth round)
    },
}
# Writer D (tests/blind/README.md): held out from the first two rounds of the judge (measured
# twice in aggregate), tuning data for the third (docs/scoring.md: 101/115 causes, 8 dismissed
# right causes and 7 negated prevention phrasings accepted before it). Recall floors sit a few
# points under the figures measured after the third round; false-accept ceilings sit at them
# (a change that accepts one more wrong, hedged, dismissed or negated answer fails).
WRITER_D: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.9995,  # 17/17
        "first-only": 0.9995,  # 2/2
        "hedge": 0.9995,  # 34/34
        "right": 0.96,  # 114/115 (99.1%)
        "second-only": 0.9995,  # 2/2
        "wrong": 0.9995,  # 68/68
    },
    "prevention": {
        "buzzword-list": 0.9995,  # 34/34
        "dismissive": 0.9995,  # 34/34
        "negated": 0.9705,  # 33/34 (32/34 before the fourth round)
        "right": 0.83,  # 186/216 (86.1%)
        "unrelated": 0.9701,  # 33/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 0.9995,  # 110/110
        "not covered (dismissive)": 0.9817,  # 108/110
        "not covered (off-topic)": 0.9450,  # 52/55
        "not covered (partial)": 0.9450,  # 52/55
        "recall": 0.9514,  # 157/165 (156/165 before the sixth round)
    },
    "exam_bands": {
        "buzzword-bullets": 0.9995,  # 10/10
        "dismissive": 0.9995,  # 10/10
        "off-topic": 0.7995,  # 4/5
        "partial": 0.87,  # 9/10
        "strong": 0.87,  # 9/10
    },
}
# label -> the share judged as a fair examiner would, at least (measured: docs/scoring.md).
# Writer C: measured once held out (judge at 66b3a82: causes 85/102, wrong 7 accepted,
# prevention 163/216), then tuned on; its check part (tests/blind/corpus.py C_CHECK) was
# only ever read in aggregate. A change that lowers one of these is a regression. Measured
# again after the third round (docs/scoring.md).
WRITER_C: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 1.0,  # 17/17
        "first-only": 1.0,  # 4/4
        "hedge": 1.0,  # 34/34
        "right": 0.9504,  # 97/102 (96/102 before the eighth round)
        "second-only": 0.7495,  # 3/4
        "wrong": 1.0,  # 85/85
    },
    "prevention": {
        "buzzword-list": 1.0,  # 34/34
        "dismissive": 0.9700,  # 33/34
        "negated": 1.0,  # 34/34 (33/34 before the fourth round)
        "right": 0.8795,  # 190/216
        "unrelated": 0.9695,  # 33/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 1.0,  # 110/110
        "not covered (dismissive)": 0.9995,  # 110/110 (109/110 before the eighth round)
        "not covered (off-topic)": 0.9805,  # 54/55
        "not covered (partial)": 0.9645,  # 56/58
        "not covered (strong)": 1.0,  # 4/4
        "recall": 0.9742,  # 154/158 (153/158 before the tenth round)
    },
    "exam_bands": {
        "buzzword-bullets": 1.0,  # 10/10
        "dismissive": 1.0,  # 10/10
        "off-topic": 1.0,  # 5/5
        "partial": 1.0,  # 10/10
        "strong": 0.8995,  # 9/10 (7/10 before the fourth round)
    },
}
# writer B: the first version's held-out set, tuned on since
WRITER_B: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 1.0,  # 17/17
        "first-only": 1.0,  # 4/4
        "hedge": 1.0,  # 34/34
        "right": 0.9895,  # 101/102
        "second-only": 1.0,  # 4/4
        "wrong": 1.0,  # 85/85
    },
    "prevention": {
        "buzzword-list": 1.0,  # 34/34
        "dismissive": 1.0,  # 34/34
        "negated": 1.0,  # 51/51 (50/51 before the sixth round)
        "right": 0.9625,  # 208/216 (207/216 before the fifth round, 204/216 before the fourth)
        "unrelated": 1.0,  # 34/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 1.0,  # 110/110
        "not covered (dismissive)": 0.9909,  # 109/110 (108/110 before the eighth round)
        "not covered (off-topic)": 1.0,  # 55/55
        "not covered (partial)": 0.9835,  # 62/63
        "recall": 0.9295,  # 146/157
    },
    "exam_bands": {
        "buzzword-bullets": 1.0,  # 10/10
        "dismissive": 1.0,  # 10/10
        "off-topic": 1.0,  # 5/5
        "partial": 0.6995,  # 7/10
        "strong": 1.0,  # 10/10
    },
}
# writer A: tuned on from the start
WRITER_A: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 1.0,  # 34/34
        "first-only": 1.0,  # 4/4
        "hedge": 1.0,  # 34/34
        "right": 1.0,  # 119/119
        "second-only": 1.0,  # 4/4
        "wrong": 1.0,  # 85/85
    },
    "prevention": {
        "buzzword-list": 1.0,  # 34/34
        "dismissive": 1.0,  # 51/51
        "negated": 1.0,  # 51/51
        "right": 0.9551,  # 258/270 (256/270 before the eleventh round, 255/270 before the sixth)
        "unrelated": 1.0,  # 34/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 1.0,  # 110/110
        "not covered (dismissive)": 0.9268,  # 102/110 (101/110 before the tenth round)
        "not covered (off-topic)": 0.9445,  # 52/55
        "not covered (partial)": 0.9295,  # 80/86
        "not covered (strong)": 0.7995,  # 4/5
        "recall": 0.9493,  # 227/239 (226/239 before the tenth round)
    },
    "exam_bands": {
        "buzzword-bullets": 1.0,  # 10/10
        "dismissive": 1.0,  # 10/10
        "off-topic": 1.0,  # 5/5
        "partial": 0.9325,  # 14/15
        "strong": 0.8655,  # 13/15
    },
}


def check(figures, floors: dict[str, dict[str, float]]) -> list[str]:
    misses = []
    for section, labels in floors.items():
        got = getattr(figures, section)
        for label, floor in labels.items():
            rate = got[label].rate
            if rate < floor - 1e-9:
                misses.append(f"{section}/{label}: {rate:.1%} < {floor:.1%}")
    return misses


# Writer K (tests/blind/README.md): an eleventh writer, 2026-12-07, held out from the ninth
# round of the judge: written blind outside the repository before the round began (new
# personas; dismissals and arguments against a measure left wholly to the writer), with a
# second set of prevention answers hard on polarity (`polarity`: a measure proposed in
# negative words, argued against in approving ones, one proposed beside another waved away).
# Measured in aggregate before the ninth round and after it (K was also the held-out measure
# of a learned stance veto that was built and left out: docs/scoring.md). The merge of the
# ninth round dropped the held-out guard of `corpus.main` for one run, which printed K's
# misses; K is tuning data from the tenth round (`python -m tests.blind.corpus tune-k`),
# asserted in `make test` at the figures after that round: a change that accepts one more
# wrong, hedged, dismissed or negated answer, or lowers a recall, fails.
WRITER_K: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.8819,  # 30/34 (29/34 before the tenth round)
        "first-only": 0.9995,  # 2/2
        "hedge": 0.9995,  # 17/17 (16/17 before the tenth round)
        "right": 0.9113,  # 124/136 (122/136 before the tenth round)
        "second-only": 0.4995,  # 1/2
        "wrong": 0.9603,  # 49/51
    },
    "prevention": {
        "buzzword-list": 0.9407,  # 32/34
        "dismissive": 0.9995,  # 34/34 (32/34 before the tenth round)
        "negated": 0.9701,  # 33/34 (29/34 before the tenth round)
        "right": 0.8792,  # 190/216 (189/216 before the eleventh round)
        "unrelated": 0.9995,  # 34/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 0.9995,  # 55/55
        "not covered (dismissive)": 0.9632,  # 106/110 (105/110 before the tenth round)
        "not covered (off-topic)": 0.9995,  # 55/55
        "not covered (partial)": 0.9631,  # 53/55
        "recall": 0.9329,  # 154/165 (153/165 before the tenth round)
    },
    "exam_bands": {
        "buzzword-bullets": 0.9995,  # 5/5
        "dismissive": 0.9995,  # 10/10
        "off-topic": 0.9995,  # 5/5
        "partial": 0.8995,  # 9/10
        "strong": 0.9995,  # 10/10
    },
    "polarity": {
        "argued against in approving words": 0.9705,  # 66/68 (52/68 before the tenth round)
        "mixed: the item waved away": 0.9407,  # 16/17 (14/17 before the tenth round)
        "mixed: the measure proposed": 0.9701,  # 33/34 (34/34 before the ninth round)
        # 95/102 (96/102 before the thirteenth round: one proposal had earned its gate only by
        # reading "stop thinking of X" as a gate's halt; 94/102 before the eleventh round)
        "proposed in negative words": 0.9309,
    },
}


# Writer L (tests/blind/README.md): a twelfth writer, 2026-12-07, with a hard-polarity set like
# K's, held out from the tenth round (written blind outside the repository while the round
# began; measured twice in aggregate: the round moved its measures proposed in negative words
# from 22 to 23 of 102), tuning data for the eleventh (`python -m tests.blind.corpus tune-l`).
# Asserted in `make test` at the figures after the eleventh round: a change that accepts one
# more wrong, hedged, dismissed or negated answer, or lowers a recall, fails.
WRITER_L: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.8525,  # 29/34
        "first-only": 0.9995,  # 2/2
        "hedge": 0.9995,  # 17/17
        "right": 0.8966,  # 122/136
        "second-only": 0.9995,  # 2/2
        "wrong": 0.9603,  # 49/51
    },
    "prevention": {
        "buzzword-list": 0.9407,  # 32/34
        "dismissive": 0.8524,  # 29/34 (26/34 before the twelfth round)
        "negated": 0.9407,  # 32/34 (30/34 before the eleventh round)
        "right": 0.9116,  # 197/216
        "unrelated": 0.9701,  # 33/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 0.9995,  # 55/55
        "not covered (dismissive)": 0.9723,  # 107/110
        "not covered (off-topic)": 0.9632,  # 53/55
        "not covered (partial)": 0.9478,  # 55/58
        "recall": 0.9378,  # 152/162
    },
    "exam_bands": {
        "buzzword-bullets": 0.9995,  # 5/5
        "dismissive": 0.9995,  # 10/10
        "off-topic": 0.9995,  # 5/5
        "partial": 0.9995,  # 10/10
        "strong": 0.8996,  # 9/10
    },
    "polarity": {
        "argued against in approving words": 0.9260,  # 63/68
        "mixed: the item waved away": 0.9995,  # 17/17
        "mixed: the measure proposed": 0.9407,  # 32/34
        "proposed in negative words": 0.5779,  # 59/102 (56 before round 12, 23 before round 11)
    },
}


# Writer M, a thirteenth writer with a hard-polarity part like K's and L's, written blind
# outside the repository while the eleventh round began and held out from it (measured in
# aggregate by the lead before the round, 00b2aac, and as merged after it: the round moved
# M's measures proposed in negative words 32 -> 40 of 102 and its negated prevention
# accepted 5 -> 2 of 34; nothing else moved). Tuning data from the twelfth round (`python
# -m tests.blind.corpus tune-m`), whose held-out writer N was written blind meanwhile.
# Asserted at the figures after the eleventh round, so a change that accepts one more
# wrong, hedged, dismissed or negated answer, or lowers a recall, fails.
WRITER_M: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.9112,  # 31/34 (26/34 before the twelfth round)
        "first-only": 0.9995,  # 2/2
        "hedge": 0.9995,  # 17/17
        "right": 0.8598,  # 117/136
        "second-only": 0.0,  # 0/2
        "wrong": 0.9407,  # 48/51
    },
    "prevention": {
        "buzzword-list": 0.9701,  # 33/34
        "dismissive": 0.823,  # 28/34 (27/34 before round 14, 26/34 round 13, 20/34 round 12)
        "negated": 0.9701,  # 33/34 (32/34 before the thirteenth round)
        "right": 0.8976,  # 194/216
        "unrelated": 0.9407,  # 32/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 0.9995,  # 55/55
        "not covered (dismissive)": 0.9631,  # 106/110
        "not covered (off-topic)": 0.9995,  # 55/55
        "not covered (partial)": 0.9478,  # 55/58
        "recall": 0.9131,  # 148/162
    },
    "exam_bands": {
        "buzzword-bullets": 0.9995,  # 5/5
        "dismissive": 0.9995,  # 10/10
        "off-topic": 0.9995,  # 5/5
        "partial": 0.8995,  # 9/10
        "strong": 0.9995,  # 10/10
    },
    "polarity": {
        "argued against in approving words": 0.8819,  # 60/68
        "mixed: the item waved away": 0.9407,  # 16/17
        "mixed: the measure proposed": 0.9112,  # 31/34 (29/34 before the twelfth round)
        "proposed in negative words": 0.7544,  # 77/102 (74 before round 14, 73 round 13, 40 r. 12)
    },
}


# Writer N, a fourteenth writer with a hard-polarity part like K's, L's and M's, written blind
# outside the repository while the twelfth round began (inputs from tests/blind/inputs.py,
# new personas and constructions) and held out from it: measured in aggregate by the lead
# before the round (e6635cf) and as merged after it (the merge of judge12). The round moved
# N's measures proposed in negative words 51 -> 60 of 102; nothing else moved. Tuning data
# from the thirteenth round (`tune-n`; its held-back third `N_HOLDBACK`, `check-n`).
# Asserted at the figures after the thirteenth round (tuned on N).
WRITER_N: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.9113,  # 31/34 (29/34 before the fourteenth round, 27/34 the 13th)
        "first-only": 0.9995,  # 2/2
        "hedge": 0.9995,  # 17/17
        "right": 0.9039,  # 123/136
        "second-only": 0.9995,  # 2/2
        "wrong": 0.9603,  # 49/51
    },
    "prevention": {
        "buzzword-list": 0.9995,  # 34/34
        "dismissive": 0.9113,  # 31/34 (25/34 before the thirteenth round)
        "negated": 0.9995,  # 34/34 (33/34 before the fourteenth round, 28/34 the thirteenth)
        "right": 0.9162,  # 198/216 (197/216 before the fourteenth round)
        "unrelated": 0.9995,  # 34/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 0.9995,  # 55/55
        "not covered (dismissive)": 0.9995,  # 110/110 (109/110 before)
        "not covered (off-topic)": 0.9813,  # 54/55
        "not covered (partial)": 0.9826,  # 58/59
        "recall": 0.9312,  # 150/161
    },
    "exam_bands": {
        "buzzword-bullets": 0.9995,  # 5/5
        "dismissive": 0.9995,  # 10/10
        "off-topic": 0.9995,  # 5/5
        "partial": 0.8995,  # 9/10
        "strong": 0.9995,  # 10/10
    },
    "polarity": {
        "argued against in approving words": 0.926,  # 63/68
        "mixed: the item waved away": 0.8819,  # 15/17
        "mixed: the measure proposed": 0.9701,  # 33/34 (32/34 before)
        "proposed in negative words": 0.676,  # 69/102 (60/102 before)
    },
}


# Writer O, a fifteenth writer with a hard-polarity part, written blind outside the
# repository while the thirteenth round began (inputs from tests/blind/inputs.py with each
# fault's own evidence; new personas and constructions) and held out from it, measured in
# aggregate by the lead with the judge before the twelfth round (e6635cf), after it (957d632)
# and after the thirteenth (the merge of judge13); tuning data from the fourteenth round
# (`tune-o`; its held-back third `O_HOLDBACK`, `check-o`). Floors as after the fourteenth
# round (docs/scoring.md); the figures before it in brackets.
WRITER_O: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.9995,  # 34/34 (29/34 before)
        "first-only": 0.9995,  # 2/2
        "hedge": 0.9407,  # 16/17 (15/17 before)
        "right": 0.8966,  # 122/136
        "second-only": 0.9995,  # 2/2
        "wrong": 0.9799,  # 50/51
    },
    "prevention": {
        "buzzword-list": 0.9995,  # 34/34
        "dismissive": 0.9113,  # 31/34 (28/34 before)
        "negated": 0.9995,  # 34/34 (31/34 before)
        "right": 0.9532,  # 206/216
        "unrelated": 0.9995,  # 34/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 0.9995,  # 55/55
        "not covered (dismissive)": 0.9995,  # 110/110
        "not covered (off-topic)": 0.9995,  # 55/55
        "not covered (partial)": 0.9678,  # 61/63
        "recall": 0.9103,  # 143/157
    },
    "exam_bands": {
        "buzzword-bullets": 0.9995,  # 5/5
        "dismissive": 0.9995,  # 10/10
        "off-topic": 0.9995,  # 5/5
        "partial": 0.7995,  # 8/10
        "strong": 0.9995,  # 10/10
    },
    "polarity": {
        "argued against in approving words": 0.9701,  # 66/68 (56/68 before)
        "mixed: the item waved away": 0.9407,  # 16/17
        "mixed: the measure proposed": 0.9701,  # 33/34
        "proposed in negative words": 0.7152,  # 73/102 (69/102 before)
    },
}


# Writer P, a sixteenth writer with a hard-polarity part, written blind outside the
# repository while the fourteenth round began (inputs from tests/blind/inputs.py; new
# personas and constructions) and held out from it: never read answer by answer by anyone
# tuning the judge (`python -m tests.blind.corpus heldout-p` prints figures only). Measured
# in aggregate by the lead before the round (b660b02), after the audit's judge fixes
# (judgefix) and after the round (the merge of judge14): the round moved nothing on P.
# Asserted at the last figures, so a change that accepts one more wrong, hedged, dismissed
# or negated answer, or lowers a recall, fails.
WRITER_P: dict[str, dict[str, float]] = {
    "causes": {
        "dismissive-right": 0.8819,  # 30/34
        "first-only": 0.4995,  # 1/2
        "hedge": 0.9407,  # 16/17
        "right": 0.9039,  # 123/136
        "second-only": 0.4995,  # 1/2
        "wrong": 0.9603,  # 49/51
    },
    "prevention": {
        "buzzword-list": 0.9995,  # 34/34
        "dismissive": 0.9407,  # 32/34
        "negated": 0.9407,  # 32/34
        "right": 0.9254,  # 200/216
        "unrelated": 0.9701,  # 33/34
    },
    "exam_items": {
        "not covered (buzzword-bullets)": 0.9995,  # 55/55
        "not covered (dismissive)": 0.9813,  # 108/110
        "not covered (off-topic)": 0.9995,  # 55/55
        "not covered (partial)": 0.982,  # 56/57
        "recall": 0.9504,  # 155/163
    },
    "exam_bands": {
        "buzzword-bullets": 0.9995,  # 5/5
        "dismissive": 0.9995,  # 10/10
        "off-topic": 0.9995,  # 5/5
        "partial": 0.9995,  # 10/10
        "strong": 0.9995,  # 10/10
    },
    "polarity": {
        "argued against in approving words": 0.823,  # 56/68
        "mixed: the item waved away": 0.823,  # 14/17
        "mixed: the measure proposed": 0.9701,  # 33/34
        "proposed in negative words": 0.4897,  # 50/102
    },
}


# every writer at its measured rates: make test judges the three newest, the second tier
# the rest
NEWEST = {"tune-n": WRITER_N, "tune-o": WRITER_O, "heldout-p": WRITER_P}
OLDER = {"tune": WRITER_A, "tune-b": WRITER_B, "tune-c": WRITER_C, "tune-d": WRITER_D}
OLDER |= {"tune-e": WRITER_E, "tune-f": WRITER_F, "tune-g": WRITER_G, "tune-h": WRITER_H}
OLDER |= {"tune-i": WRITER_I, "tune-j": WRITER_J, "tune-k": WRITER_K, "tune-l": WRITER_L}
OLDER |= {"tune-m": WRITER_M}


@pytest.mark.parametrize(
    ("corpus", "floors"),
    [pytest.param(name, floors, id=name) for name, floors in NEWEST.items()]
    + [pytest.param(name, f, id=name, marks=pytest.mark.full) for name, f in OLDER.items()],
)
def test_each_writers_answers_are_judged_at_the_measured_rates(corpus, floors):
    assert not check(evaluate(corpus), floors)


def test_a_held_out_corpus_prints_aggregate_figures_only(capsys, monkeypatch):
    # a merge once dropped this guard and printed a held-out writer answer by answer
    from tests.blind import corpus

    # (tried on a monkeypatched corpus, so that it holds whichever writer is held out)
    figures = corpus.Figures()
    figures.causes["right"].add(False, "an answer's own words")
    monkeypatch.setattr(corpus, "evaluate", lambda name, part="all": figures)
    monkeypatch.setitem(corpus.CORPORA, "heldout-x", corpus.HERE / "X")
    corpus.main(["heldout-x"])
    out = capsys.readouterr().out
    assert "an answer's own words" not in out and "0/1" in out
    assert all(name.startswith(("tune", "heldout-")) for name in corpus.CORPORA)


def test_a_blind_writers_inputs_hold_the_examiners_prose_and_no_accept_list(tmp_path):
    import re

    import yaml

    from drills.library.paths import library_root
    from tests.blind.inputs import write

    assert write(tmp_path) == 17
    pages = {p.stem: p.read_text() for p in (tmp_path / "scenarios").glob("*.md")}
    key = yaml.safe_load((library_root() / "tts-first-audio-byte" / "key.yaml").read_text())
    page = pages["tts-first-audio-byte"]
    assert all(item["description"] in page for item in key["prevention"])
    assert "True cause: a larger acoustic model or vocoder in a voice update" in page
    for text in [*pages.values(), *(p.read_text() for p in (tmp_path / "exams").glob("*.md"))]:
        # no template left unfilled, and none of the judge's accept lists or synonym groups
        assert not re.search(r"\$?\{[a-z_]+\}", text) and "accept" not in text
        assert "@gate" not in text and 'first-audio-byte"' not in text
    # a two-fault incident's first fault shows only the evidence no later fault claims
    first, second = pages["live-captions-lag-and-batch-spend-up"].split("## Second fault")
    assert "shadow copies of batch traffic" not in first and "shadow copies" in second
    assert "jitter summary of that cohort" in first
    # a mitigation the key leaves undescribed is given as its action
    assert (
        "set path=models.asr-stream-v2.decoder.endpoint_silence_ms value=250"
        in (pages["voice-agent-first-response"])
    )
