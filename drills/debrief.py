"""What an after-action report plots, computed before it is rendered: the key signal per
minute in the no-action, expert and trainee runs."""

from __future__ import annotations

from typing import Any

import numpy as np

from drills.scenario import AnswerKey, LoadedScenario
from drills.scoring import References, evaluation_window
from drills.session import Drill
from drills.signals import series


def key_curves(
    scenario: LoadedScenario, key: AnswerKey, drill_: Drill, refs: References
) -> dict[str, Any]:
    """The first focus signal, per minute, from 10 minutes before the page to the end."""
    signal = next(s for s in key.signals if s.focus)
    page = scenario.spec.clock.start_s
    _, end = evaluation_window(scenario)
    window = (max(0.0, page - 600.0), end)
    view = signal.model_copy(update={"window_s": window})
    minutes = (np.arange(window[0], window[1], 60.0) - page) / 60.0

    def clean(values: np.ndarray) -> list[float | None]:
        return [None if not np.isfinite(v) else round(float(v), 4) for v in values]

    return {
        "label": f"{signal.table}.{signal.column} ({signal.id})",
        "minutes": [round(float(m), 2) for m in minutes],
        "no action": clean(series(refs.none, view)),
        "expert": clean(series(refs.expert_tel, view)),
        "trainee": clean(series(drill_.telemetry(), view)),
    }
