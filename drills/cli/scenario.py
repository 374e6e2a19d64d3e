"""`speechdrill scenario list / show / check / schema`."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import click

from drills.cli.output import emit_json
from drills.library.file_kinds import KIND_NAMES
from drills.library.scenario import (
    load_key,
    load_scenario,
    resolve_scenario,
    scenario_dirs,
)
from drills.play.transcript import load_transcript
from drills.runs.service import Runs
from reports.tables import render_table
from simulator.errors import InputError


def register(cli: click.Group) -> None:
    cli.add_command(scenario)
    cli.add_command(fault)


@click.group()
def fault() -> None:
    """The fault catalog: what a scenario's timeline can inject, and through what."""


@fault.command("list")
@click.option("--json", "as_json", is_flag=True)
def fault_list(as_json: bool) -> None:
    """List the faults, each with the serving mechanism it acts through."""
    from simulator.spec.faults import FAULTS

    rows = [{"name": f.name, "mechanism": f.mechanism} for f in FAULTS.values()]
    if as_json:
        emit_json(rows)
        return
    click.echo(render_table(["fault", "acts through"], [[r["name"], r["mechanism"]] for r in rows]))


@fault.command("describe")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
def fault_describe(name: str, as_json: bool) -> None:
    """A fault's mechanism, parameters and the fleet fields it changes."""
    from simulator.spec.faults import FAULTS, describe

    if name not in FAULTS:
        raise InputError(
            name, "fault", f"no such fault; `speechdrill fault list` has {len(FAULTS)}"
        )
    data = describe(name)
    if as_json:
        emit_json(data)
        return
    click.echo(f"{name}: acts through {data['mechanism']}\n\n{data['doc']}\n")
    click.echo(
        render_table(
            ["parameter", "type", "required", "meaning"],
            [[p["name"], p["type"], p["required"], p["description"]] for p in data["params"]],
        )
    )
    click.echo(f"\nchanges: {', '.join(data['changes'])}")


@click.group()
def scenario() -> None:
    """The scenario library: list, show a briefing, check files, print the schema."""


@scenario.command("seal")
@click.argument("scenario_id")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the candidate's pack.",
)
def scenario_seal(scenario_id: str, out: Path) -> None:
    """Write a candidate's pack: briefing, fleet, panels, schema; no key, no transcripts,
    no timeline. The drill is played on the examiner's console (speechdrill serve)."""
    from drills.library.seal import seal

    loaded = load_scenario(resolve_scenario(scenario_id))
    for path in seal(loaded, out):
        click.echo(f"wrote {path}")
    click.echo(f"the key stays with you: {loaded.directory / 'key.yaml'}")


@scenario.command("list")
@click.option("--json", "as_json", is_flag=True)
def scenario_list(as_json: bool) -> None:
    """List the scenarios in the library."""
    rows = []
    for directory in scenario_dirs():
        loaded = load_scenario(directory / "scenario.yaml")
        spec = loaded.spec
        rows.append(
            {
                "id": spec.id,
                "title": spec.title,
                "difficulty": spec.difficulty,
                "tags": spec.tags,
                "estimated_minutes": spec.estimated_minutes,
                "time_box_min": loaded.time_box_min,
                "source": spec.source,
                "path": str(directory),
            }
        )
    if as_json:
        emit_json(rows)
    else:
        click.echo(
            render_table(
                # the drill's clock stops at the time box (the clock's limit, and never past
                # the simulated window): the author's estimate may be longer
                ["id", "difficulty", "time box", "estimated", "title"],
                [
                    [
                        r["id"],
                        r["difficulty"],
                        r["time_box_min"],
                        r["estimated_minutes"],
                        r["title"],
                    ]
                    for r in rows
                ],
            )
        )


@scenario.command("show")
@click.argument("scenario_id")
@click.option("--json", "as_json", is_flag=True)
def scenario_show(scenario_id: str, as_json: bool) -> None:
    """Show a scenario's briefing (never its answer key or faults)."""
    spec = load_scenario(resolve_scenario(scenario_id)).spec
    clock = spec.clock
    if as_json:
        emit_json(
            {
                "id": spec.id,
                "title": spec.title,
                "difficulty": spec.difficulty,
                "briefing": spec.briefing.model_dump(),
                "clock": clock.model_dump(),
            }
        )
        return
    click.echo(f"{spec.title}  [{spec.id}, {spec.difficulty}, ~{spec.estimated_minutes:g} min]")
    click.echo(f"\n{spec.briefing.severity.upper()} PAGE\n")
    click.echo(textwrap.indent(textwrap.fill(spec.briefing.page, 88), "  "))
    if spec.briefing.context:
        click.echo("\n" + textwrap.fill(spec.briefing.context, 90))
    click.echo(
        f"\nYou are paged at t = {clock.start_s / 60:g} min of telemetry; a panel costs "
        f"{clock.look_cost_s / 60:g} min, a query {clock.query_cost_s / 60:g}, an action "
        f"{clock.act_cost_s / 60:g}."
    )


@scenario.command("variant")
@click.argument("scenario_id")
@click.option("--seed", type=int, default=0, show_default=True, help="The (first) variant's seed.")
@click.option("--count", type=click.IntRange(1, 200), default=1, help="Variants, seeds N, N+1, ...")
@click.option(
    "--candidate",
    type=click.IntRange(0, None),
    help="A symptom family: only this candidate of the cohort seeded --seed.",
)
@click.option("--member", help="A symptom family: draw this member (authors; default: balanced).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder for the variants [default: $SPEECHDRILL_HOME/variants].",
)
@click.option("--no-verify", is_flag=True, help="Render without the author's checks.")
@click.option("--json", "as_json", is_flag=True)
def scenario_variant(
    scenario_id: str,
    seed: int,
    count: int,
    candidate: int | None,
    member: str | None,
    out: Path | None,
    no_verify: bool,
    as_json: bool,
) -> None:
    """Draw variants of a scenario: each a fresh incident (which cohort or pool, how strong,
    when), verified like an author's scenario and placed in its difficulty band, in a
    folder of its own (`drill start FOLDER`, `scenario seal FOLDER`). The same seed gives
    the same variant. Exit 1 if a seed found no variant that passes after redraws.

    SCENARIO_ID may name a symptom family: --seed is then the cohort's seed and --count
    its candidates 0, 1, ... (or --candidate one of them); each draws a member (balanced
    across the cohort) and its parameters, rendered under the family's id and page."""
    from drills.library.family import find_family
    from drills.library.variants import Variant, instantiate
    from drills.play.journal import home
    from simulator.errors import CheckFailed

    root = out or home() / "variants"
    family_file = find_family(scenario_id)
    variants: list[Variant]
    if family_file is not None:
        variants = _family_variants(family_file, seed, count, candidate, member, root, no_verify)
    else:
        if candidate is not None or member is not None:
            raise InputError(scenario_id, "--candidate/--member", "a symptom family's id")
        source = resolve_scenario(scenario_id).parent
        variants = [
            instantiate(source, s, root / f"{source.name}-{s}", verify=not no_verify)
            for s in range(seed, seed + count)
        ]
    if as_json:
        emit_json([v.as_dict() for v in variants])
    else:
        rows = []
        for v in variants:
            d = v.difficulty
            level = f"{d.band} ({d.points})" if d else "not measured"
            verdict = "ok" if v.ok or no_verify else "FAILED"
            params = ", ".join(f"{k}={val}" for k, val in v.params.items())
            who = v.seed if v.candidate is None else f"{v.seed}/{v.candidate} {v.member}"
            rows.append([who, params, level, len(v.rejected), verdict, str(v.folder)])
        header = ["seed", "parameters", "difficulty", "redrawn", "", "folder"]
        click.echo(render_table(header, rows))
    bad = [v.seed if v.candidate is None else f"{v.seed}/{v.candidate}" for v in variants]
    bad = [b for b, v in zip(bad, variants, strict=True) if not (v.ok or no_verify)]
    if bad:
        raise CheckFailed(f"no verified variant for seeds {bad}")


def _family_variants(
    family_file: Path,
    seed: int,
    count: int,
    candidate: int | None,
    member: str | None,
    root: Path,
    no_verify: bool,
) -> list[Any]:
    from drills.library.family import load_family
    from drills.library.family_verify import instantiate

    family = load_family(family_file)
    if member is not None:
        family.spec.member(member)  # an unknown member is bad input, before any drawing
    candidates = [candidate] if candidate is not None else list(range(count))
    runs = Runs()
    return [
        instantiate(
            family,
            seed,
            c,
            root / f"{family.spec.id}-{seed}-{c}",
            verify=not no_verify,
            runs=runs,
            member=member,
        )
        for c in candidates
    ]


@scenario.group("family")
def family_group() -> None:
    """Symptom families: one page, several member incidents with different causes; a
    candidate draws a member (`scenario variant FAMILY`), so only evidence tells them apart."""


@family_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def family_list(as_json: bool) -> None:
    """List the symptom families in the library."""
    from drills.library.family import family_dirs, load_family

    rows = []
    for folder in family_dirs():
        family = load_family(folder / "family.yaml")
        spec = family.spec
        rows.append(
            {
                "id": spec.id,
                "title": spec.title,
                "severity": spec.briefing.severity,
                "band": spec.band,
                "members": [m.id for m in spec.members],
                "path": str(folder),
            }
        )
    if as_json:
        emit_json(rows)
        return
    click.echo(
        render_table(
            ["id", "members", "band", "title"],
            [[r["id"], len(r["members"]), "/".join(r["band"]), r["title"]] for r in rows],
        )
    )


@family_group.command("show")
@click.argument("family_id")
@click.option("--json", "as_json", is_flag=True)
def family_show(family_id: str, as_json: bool) -> None:
    """Show a family's page (what every member's candidate reads), the paging symptom's
    band and its members (never their causes)."""
    from drills.library.family import load_family, resolve_family

    spec = load_family(resolve_family(family_id)).spec
    symptoms = [
        {"id": s.id, "description": s.description, "ratio": s.ratio, "value": s.value}
        for s in spec.page.symptoms
    ]
    if as_json:
        emit_json(
            {
                "id": spec.id,
                "title": spec.title,
                "difficulty": spec.difficulty,
                "band": spec.band,
                "briefing": spec.briefing.model_dump(),
                "clock": spec.clock.model_dump(),
                "page": {"window_s": spec.page.window_s, "symptoms": symptoms},
                "deploys": len(spec.deploys),
                "members": [m.id for m in spec.members],
            }
        )
        return
    click.echo(f"{spec.title}  [{spec.id}, {len(spec.members)} members]")
    click.echo(f"\n{spec.briefing.severity.upper()} PAGE\n")
    click.echo(textwrap.indent(textwrap.fill(spec.briefing.page, 88), "  "))
    if spec.briefing.context:
        click.echo("\n" + textwrap.fill(spec.briefing.context, 90))
    low, high = spec.page.window_s
    click.echo(f"\nEvery member at the page (t = {low / 60:g}–{high / 60:g} min):")
    for s in spec.page.symptoms:
        band = f"×{s.ratio[0]:g}–{s.ratio[1]:g} of no-fault" if s.ratio else ""
        if s.value:
            band += f"{'; ' if band else ''}{s.value[0]:g}–{s.value[1]:g}"
        click.echo(f"  {s.id}: {s.description} ({band})")
    click.echo(
        f"\n{len(spec.deploys)} deploys in every member's log; members: "
        + ", ".join(m.id for m in spec.members)
    )


@family_group.command("check")
@click.argument("families", nargs=-1, required=True)
@click.option(
    "--verify",
    is_flag=True,
    help="Also simulate: each member's own checks and page band, every pair told apart by "
    "its evidence, and the tip matrix (exit 1 if not).",
)
@click.option("--no-tips", is_flag=True, help="With --verify: leave out the tip matrix.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the members are rendered [default: a temporary folder].",
)
@click.option("--json", "as_json", is_flag=True)
def family_check(
    families: tuple[str, ...], verify: bool, no_tips: bool, out: Path | None, as_json: bool
) -> None:
    """Check symptom families: every member renders and loads (exit 2 on a bad file), and
    nothing a candidate sees (title, page, deploy log) names a member's cause (exit 1)."""
    import tempfile

    from drills.library.family import load_family, resolve_family
    from drills.library.family_verify import check_family, verify_family
    from reports.family import family_lines
    from simulator.errors import CheckFailed

    reports = []
    with tempfile.TemporaryDirectory(prefix="speechdrill-family-") as tmp:
        for target in families:
            family = load_family(resolve_family(target))
            where = (out or Path(tmp)) / family.spec.id
            if verify:
                report = verify_family(family, where, Runs(), tips=not no_tips)
            else:
                report = check_family(family, where)
            reports.append(report)
            if not as_json:
                click.echo("\n".join(family_lines(report.as_dict())) + "\n")
    if as_json:
        emit_json([r.as_dict() for r in reports])
    failed = [r.family for r in reports if not r.ok]
    if failed:
        raise CheckFailed(f"symptom family check failed: {', '.join(failed)}")


@scenario.command("alerts")
@click.argument("scenario_id")
@click.option(
    "--rules",
    "rule_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A Prometheus rule file to try (default: the answer key's reference rules).",
)
@click.option("--json", "as_json", is_flag=True)
def scenario_alerts(scenario_id: str, rule_file: Path | None, as_json: bool) -> None:
    """Would these alert rules have paged? Each is evaluated by promtool, minute by
    minute, on the incident and on its no-fault run (for authors and trainers: it reads the
    answer key). Exit 1 if a rule would false-page or stay silent."""
    from drills.judge.alerts import PromtoolMissing, judge_rules, load_rule_file
    from reports.alerts import timeline_lines
    from simulator.errors import CheckFailed

    loaded = load_scenario(resolve_scenario(scenario_id))
    key = load_key(loaded.directory / "key.yaml", loaded)
    if rule_file is not None:
        rules = load_rule_file(rule_file)
    else:
        rules = [p.rule for p in key.prevention if p.rule is not None]
    if not rules:
        raise InputError(str(rule_file or key.scenario), "groups", "at least one alerting rule")
    try:
        verdicts = judge_rules(loaded, key, rules, Runs())
    except PromtoolMissing as exc:
        raise InputError("promtool", "", str(exc)) from None
    if as_json:
        emit_json([v.as_data() for v in verdicts])
    else:
        for verdict in verdicts:
            click.echo(f"\n{verdict.rule.alert}  [{verdict.grade}]  {verdict.why()}")
            click.echo(f"  {verdict.rule.expr}  for {verdict.rule.for_}")
            click.echo(textwrap.indent("\n".join(timeline_lines(verdict.as_data())), "  "))
    bad = [v.rule.alert for v in verdicts if v.grade in ("false page", "silent")]
    if bad:
        raise CheckFailed(f"would false-page or stay silent: {', '.join(bad)}")


def _check_one(path: Path) -> str:
    """Validate one file by what it is; returns its kind."""
    name = path.name
    if name == "key.yaml":
        scenario_file = path.parent / "scenario.yaml"
        loaded = load_scenario(scenario_file) if scenario_file.is_file() else None
        load_key(path, loaded)
        return "answer key"
    if path.parent.name == "transcripts":
        scenario_file = path.parent.parent / "scenario.yaml"
        load_transcript(path, load_scenario(scenario_file) if scenario_file.is_file() else None)
        return "transcript"
    if path.parent.name == "fleets":
        from simulator.spec.config import load_fleet_file

        load_fleet_file(path)
        return "fleet"
    load_scenario(path)
    return "scenario"


@scenario.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "--verify",
    is_flag=True,
    help="Also simulate: each key signal ≥ 3σ off the no-fault run, and the scenario's "
    "transcripts replayed into their score bands (exit 1 if not).",
)
@click.option("--json", "as_json", is_flag=True, help="With --verify: the checks as JSON.")
def scenario_check(files: tuple[Path, ...], verify: bool, as_json: bool) -> None:
    """Validate scenario, key, transcript or fleet files (exit 2 on the first invalid one).

    A folder is checked whole: its scenario, key and transcripts."""
    targets: list[Path] = []
    for f in files:
        if f.is_dir():
            targets += [f / "scenario.yaml", f / "key.yaml", *sorted(f.glob("transcripts/*.yaml"))]
        else:
            targets.append(f)
    errors: list[InputError] = []
    for path in targets:
        try:
            kind = _check_one(path)
            if not as_json:
                click.echo(f"ok  {path}  ({kind})")
        except InputError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else _combined(errors)
    if verify:
        _verify({p.parent for p in targets if (p.parent / "key.yaml").is_file()}, as_json)


def _verify(folders: set[Path], as_json: bool) -> None:
    from drills.library.verify import verify
    from simulator.errors import CheckFailed

    report = {}
    runs = Runs()
    for folder in sorted(folders):
        checks = verify(load_scenario(folder / "scenario.yaml"), runs)
        report[folder.name] = checks
        if not as_json:
            click.echo(f"\n{folder.name}")
            rows = [
                [c.what, c.name, c.value, c.expected, "ok" if c.ok else "FAILED"] for c in checks
            ]
            click.echo(render_table(["check", "name", "value", "expected", ""], rows))
    if as_json:
        emit_json({k: [c.__dict__ for c in v] for k, v in report.items()})
    failed = [f"{k}: {c.name}" for k, v in report.items() for c in v if not c.ok]
    if failed:
        raise CheckFailed("verification failed: " + "; ".join(failed))


def _combined(errors: list[InputError]) -> InputError:
    from simulator.errors import InputErrors

    flat: list[InputError] = []
    for e in errors:
        flat.extend(getattr(e, "errors", [e]))
    return InputErrors(flat)


@scenario.command("schema")
@click.option(
    "--kind",
    type=click.Choice(sorted(KIND_NAMES)),
    default="scenario",
    show_default=True,
    help="The kind of file.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write every kind's schema here as KIND.schema.json instead.",
)
def scenario_schema(kind: str, out: Path | None) -> None:
    """Print the JSON Schema of a file kind (for editor completion and validation),
    generated from the model that validates it; with --out, write every kind's."""
    from drills.library.file_kinds import file_kinds

    kinds = file_kinds()
    if out is None:
        click.echo(json.dumps(kinds[kind].schema(), indent=2))
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, found in kinds.items():
        (out / f"{name}.schema.json").write_text(json.dumps(found.schema(), indent=2) + "\n")
    click.echo(f"wrote {len(kinds)} schemas to {out}")
