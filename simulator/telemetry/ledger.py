"""The cost ledger: every dollar of replica time, attributed to pools, devices, tags,
routes and tenants (idle included), and each pool's replica-seconds and cost."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.engine.loop import Simulation


def _pool_cost(sim: Simulation, horizon: float) -> pd.DataFrame:
    """Integrate each pool's replica count × price over [0, horizon] (idle time included)."""
    rows = []
    log = sorted(sim.replica_log, key=lambda c: c.t_s)
    for name in sim.pool_names:
        changes = [c for c in log if c.pool == name]
        for i, change in enumerate(changes):
            end = changes[i + 1].t_s if i + 1 < len(changes) else horizon
            seconds = max(0.0, min(end, horizon) - change.t_s) * change.paid_replicas
            rows.append(
                {
                    "pool": name,
                    "device": change.device,
                    "device_kind": change.device_kind,
                    "from_s": change.t_s,
                    "to_s": end,
                    "replicas": change.replicas,
                    "paid_replicas": change.paid_replicas,
                    "replica_seconds": seconds,
                    "cost_usd": seconds * change.price_per_hour / 3600.0,
                }
            )
    return pd.DataFrame(rows)


LEDGER_TAGS = ("shadow", "retry", "fallback", "canary")  # first present tag names the cost


def cost_ledger(
    requests: pd.DataFrame, batches: pd.DataFrame, pool_cost: pd.DataFrame
) -> pd.DataFrame:
    """Every dollar of replica time, attributed: each request pays an equal slot of its
    batch, split into the audio it brought and the padding its batch forced on it; what no
    batch used is idle. Totals equal replica-seconds × price by construction."""
    needed = ["batch_id", "cost_usd", "audio_s", "tags", "pool", "device", "route", "tenant"]
    served = requests.loc[requests["batch_id"].to_numpy() >= 0, needed]
    longest = (batches["padded_audio_s"] / batches["size"].clip(lower=1)).to_numpy()
    share = served["cost_usd"].to_numpy()
    useful = served["audio_s"].to_numpy() / longest[served["batch_id"].to_numpy()]
    # the first ledger tag a request carries names its cost ("serving" when none)
    names = [
        next((t for t in LEDGER_TAGS if t in label.split(",")), "serving")
        for label in served["tags"].cat.categories
    ]
    unique = sorted(set(names))
    lookup = np.array([unique.index(n) for n in names], dtype=np.int16)
    tag = pd.Categorical.from_codes(
        lookup[served["tags"].cat.codes.to_numpy()], categories=pd.Index(unique)
    )
    keys = {name: served[name].array for name in ("pool", "device", "route", "tenant")}
    padding_tag = pd.Categorical.from_codes(
        np.zeros(len(served), dtype=np.int8), categories=pd.Index(["padding_waste"])
    )
    work = pd.DataFrame({**keys, "tag": tag, "cost_usd": share * useful})
    padding = pd.DataFrame({**keys, "tag": padding_tag, "cost_usd": share * (1 - useful)})
    columns = ["pool", "device", "tag", "route", "tenant"]
    attributed = (
        pd.concat(
            [
                frame.groupby(columns, observed=True)["cost_usd"].sum().reset_index()
                for frame in (work, padding)
                if len(frame)
            ],
            ignore_index=True,
        )
        if len(served)
        else pd.DataFrame(columns=[*columns, "cost_usd"])
    )
    for column in columns:
        attributed[column] = attributed[column].astype(str)
    busy = batches.groupby("pool", observed=True)["cost_usd"].sum()
    busy.index = busy.index.astype(str)
    idle = pool_cost.groupby("pool").agg(device=("device", "last"), cost_usd=("cost_usd", "sum"))
    idle["cost_usd"] -= busy.reindex(idle.index).fillna(0.0)
    idle = idle.reset_index().assign(tag="idle", route="", tenant="")
    return pd.concat([attributed, idle[[*columns, "cost_usd"]]], ignore_index=True)
