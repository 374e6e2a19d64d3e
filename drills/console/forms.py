"""The move forms the console's pages share (a candidate's page, a team member's page): a
look, query, action or conclusion read from its form, bad input as BadInput naming the
field."""

from __future__ import annotations

from typing import Any

import yaml

from drills.console.web import BadInput
from drills.judge.alerts import rules_in
from drills.play.actions import ACTIONS, parse_arg_text
from drills.play.panels import PANELS
from simulator.errors import InputError


def form_number(raw: object, label: str, low: float, high: float) -> float:
    """A number typed into a form, within [low, high] (the cohort's and the team's time box)."""
    try:
        value = float(str(raw))
    except ValueError:
        raise BadInput(f"{label}: a number from {low:g} to {high:g}") from None
    if not low <= value <= high:
        raise BadInput(f"{label}: a number from {low:g} to {high:g}")
    return value


def parse_move(form: Any) -> dict[str, Any]:
    """A look, query, action or conclusion from its form."""
    kind = str(form.get("kind", ""))
    if kind == "look":
        panel = str(form.get("panel", ""))
        if panel not in PANELS:
            raise BadInput(f"panel: one of {sorted(PANELS)}")
        return {"look": panel}
    if kind == "query":
        sql = str(form.get("sql", "")).strip()
        if not 1 <= len(sql) <= 4000:
            raise BadInput("query: SQL of 1 to 4000 characters")
        return {"query": sql}
    if kind == "act":
        action = str(form.get("action", ""))
        if action not in ACTIONS:
            raise BadInput(f"action: one of {sorted(ACTIONS)}")
        text = str(form.get("args", ""))
        if len(text) > 2000:
            raise BadInput("arguments: at most 2,000 characters")
        return {"act": {"action": action, "args": parse_arg_text(text)}}
    if kind == "conclude":
        cause = str(form.get("cause", "")).strip()
        if not cause:
            raise BadInput("cause: the cause, in your own words")
        lines = lambda name: [x.strip() for x in str(form.get(name, "")).splitlines() if x.strip()]  # noqa: E731
        return {
            "conclude": {
                "cause": cause,
                "mitigations": lines("mitigations"),
                "prevention": [*lines("prevention"), *alert_rules(str(form.get("rules", "")))],
                "notes": str(form.get("notes", "")),
            }
        }
    raise BadInput("kind: look, query, act or conclude")


def alert_rules(text: str) -> list[dict[str, Any]]:
    """Alert rules pasted as a Prometheus rule file (or a list of rules), each checked by
    promtool: a prevention item scored by whether it would have paged."""
    if not text.strip():
        return []
    if len(text) > 20_000:
        raise BadInput("alert rules: at most 20,000 characters")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise BadInput("alert rules: not readable as YAML") from None
    if isinstance(data, list):
        data = {"groups": [{"name": "mine", "rules": data}]}
    try:
        rules = rules_in(data, "alert rules")
    except InputError as exc:
        raise BadInput(f"alert rules: {exc.field_path}: {exc.expected}") from None
    return [rule.model_dump(by_alias=True) for rule in rules]
