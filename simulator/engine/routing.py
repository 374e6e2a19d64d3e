"""The route stage: which pool serves a request, canary and shadow included.

Routes are resolved once per distinct label combination (kind, tenant, language, cohort,
slice) and cached until the next timeline event.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING

import numpy as np

from simulator.spec.fleet import FAMILIES, CascadeSpec, RouteRule
from simulator.spec.workload import RequestArrays

if TYPE_CHECKING:
    from simulator.engine.pool import Pool


@dataclass
class RouteChoice:
    """A resolved rule: the primary split, an optional canary and an optional mirror."""

    code: int
    pools: list[Pool]
    cumulative: list[float]
    canary: Pool | None = None
    canary_share: float = 0.0
    shadow: Pool | None = None
    shadow_share: float = 0.0
    cascade: CascadeSpec | None = None
    large: Pool | None = None

    simple: bool = False  # one pool, no canary, no mirror: the router's fast path

    def primary(self, u: float) -> Pool:
        if len(self.pools) == 1:
            return self.pools[0]
        for pool, edge in zip(self.pools, self.cumulative, strict=True):
            if u < edge:
                return pool
        return self.pools[-1]


def resolve(rule: RouteRule, code: int, pools: dict[str, Pool]) -> RouteChoice:
    targets = {k: v for k, v in rule.targets().items() if v > 0}  # a cascade's small pool
    total = sum(targets.values())
    choice = RouteChoice(
        code=code,
        pools=[pools[p] for p in targets],
        cumulative=list(accumulate(w / total for w in targets.values())),
    )
    if rule.canary is not None and rule.canary.percent > 0:
        choice.canary, choice.canary_share = pools[rule.canary.pool], rule.canary.percent / 100
    if rule.shadow is not None and rule.shadow.percent > 0:
        choice.shadow, choice.shadow_share = pools[rule.shadow.pool], rule.shadow.percent / 100
    if rule.cascade is not None:
        choice.cascade, choice.large = rule.cascade, pools[rule.cascade.large]
    choice.simple = (
        len(choice.pools) == 1
        and choice.canary is None
        and choice.shadow is None
        and choice.cascade is None
    )
    return choice


def label_combinations(requests: RequestArrays) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """Distinct (kind, tenant, language, cohort, slice) tuples and each request's index."""
    columns = [requests.kind, requests.tenant, requests.language, requests.cohort, requests.slice]
    key = np.zeros(len(requests), dtype=np.int64)
    for column in columns:  # codes are < 2**12: pack five into one integer
        key = key * 4096 + column.astype(np.int64)
    unique, inverse = np.unique(key, return_inverse=True)
    combos = []
    for packed in unique.tolist():
        parts = []
        for _ in columns:
            packed, code = divmod(packed, 4096)
            parts.append(code)
        combos.append(tuple(reversed(parts)))
    return combos, inverse.reshape(-1)


def match_rule(
    rules: list[RouteRule], key: tuple[int, ...], vocab: dict[str, list[str]]
) -> tuple[RouteRule, int] | None:
    kind, tenant, language, cohort, slice_ = key
    labels = {
        "kind": FAMILIES[kind],
        "tenant": vocab["tenant"][tenant],
        "language": vocab["language"][language],
        "cohort": vocab["cohort"][cohort],
        "slice": vocab["slice"][slice_],
    }
    for index, rule in enumerate(rules):
        wanted = rule.match.model_dump(exclude_none=True)
        if all(labels[k] == v for k, v in wanted.items()):
            return rule, index
    return None
