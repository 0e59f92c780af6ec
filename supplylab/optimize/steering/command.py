"""``supplylab optimize steering SCENARIO -o OUT.yaml``: plan promotions, write the steered
scenario, optionally verify it by simulation with common random numbers.

Errors are typed (InputError exit 2, OptimizationError exit 3); the CLI maps them to exit
codes. ``--json`` prints one JSON document on stdout and nothing else.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from supplylab.errors import InputError


def steering(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML to steer.")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write the steered scenario (extends SCENARIO) here.")] = None,
    weeks: Annotated[int | None, typer.Option(
        "--weeks", help="Weeks to plan from day 0 (default: the whole horizon).")] = None,
    window: Annotated[str | None, typer.Option(
        "--window", help="FIRST:LAST day new promotions may run in (default: warm-up end to "
        "the plan's end).")] = None,
    max_promotions: Annotated[int | None, typer.Option(
        "--max-promotions", min=0, help="Most promotion events per product (committed count).")
    ] = None,
    min_gap: Annotated[int, typer.Option(
        "--min-gap", min=0, help="Weeks without promotion between two events of a product.")
    ] = 0,
    max_event_weeks: Annotated[int | None, typer.Option(
        "--max-event-weeks", min=1, help="Longest promotion event, weeks.")] = None,
    budget: Annotated[float | None, typer.Option(
        "--budget", min=0.0, help="Most promotion spend (discounts + fixed costs), currency.")
    ] = None,
    price_floor: Annotated[float, typer.Option(
        "--price-floor", min=0.0, max=1.0, help="A discounted price stays >= this share of "
        "the list price.")] = 0.0,
    fixed_cost: Annotated[float, typer.Option(
        "--fixed-cost", min=0.0, help="Cost of launching one promotion event, currency.")
    ] = 0.0,
    target: Annotated[list[str] | None, typer.Option(
        "--target", help="Tier or customer id the new promotions address (repeatable).")
    ] = None,
    cross_effect: Annotated[list[str] | None, typer.Option(
        "--cross-effect", help="PROMOTED:OTHER=SHARE cross effect of new promotions "
        "(repeatable; default: from the scenario's promotions).")] = None,
    pull_forward: Annotated[list[str] | None, typer.Option(
        "--pull-forward", help="PRODUCT=SHARE of a new promotion's extra units borrowed from "
        "the weeks after it (repeatable).")] = None,
    dip_weeks: Annotated[list[str] | None, typer.Option(
        "--dip-weeks", help="PRODUCT=WEEKS the pull-forward dip lasts (repeatable).")] = None,
    receipts: Annotated[Path | None, typer.Option(
        "--receipts", help="CSV of scheduled receipts: product,week,units.")] = None,
    plan_csv: Annotated[Path | None, typer.Option(
        "--plan", help="Write the weekly plan (demand, sales, supply, stock) as CSV here.")
    ] = None,
    verify: Annotated[bool, typer.Option(
        "--verify", help="Simulate original and steered scenario (common random numbers) "
        "and print paired differences with 95% intervals.")] = False,
    replications: Annotated[int | None, typer.Option(
        "--replications", min=2, help="Replications for --verify (default: the scenario's).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Seed for --verify.")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Processes for --verify.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    solver: Annotated[str, typer.Option("--solver", help="highs | cbc.")] = "highs",
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", help="Solver time limit, seconds.")] = None,
    gap: Annotated[float, typer.Option("--gap", help="Relative MIP gap to stop at.")] = 1e-6,
    mip: Annotated[bool, typer.Option(
        "--mip", help="Skip the LP-relaxation check and branch at once.")] = False,
) -> None:
    """Plan promotions that steer demand to what can be supplied (MILP)."""
    from supplylab.optimize.solver import SolverOptions
    from supplylab.optimize.steering.problem import SteeringOptions
    from supplylab.optimize.steering.scenario_input import SteeringInputs
    from supplylab.optimize.steering.study import optimise_steering

    if solver not in ("highs", "cbc"):
        raise InputError(f"--solver must be highs or cbc, not {solver!r}", "--solver")
    if verify and output is None:
        raise InputError("--verify simulates the steered scenario: give -o OUT.yaml", "--verify")
    options = SteeringOptions(
        max_promotions=max_promotions, min_gap_weeks=min_gap, max_event_weeks=max_event_weeks,
        budget=budget, price_floor_share=price_floor, fixed_cost_per_promotion=fixed_cost,
        integrality="mip" if mip else "auto",
        solver=SolverOptions(solver="cbc" if solver == "cbc" else "highs", mip_rel_gap=gap,
                             time_limit_s=time_limit,
                             path="pulp" if solver == "cbc" else "matrix"))
    inputs = SteeringInputs(weeks=weeks, window_days=_window(window),
                            targets=tuple(target or ()), cross_effects=_cross(cross_effect),
                            pull_forward=_pairs(pull_forward, "--pull-forward", float),
                            dip_weeks=_pairs(dip_weeks, "--dip-weeks", int),
                            receipts=_receipts(receipts) if receipts else {})
    result = optimise_steering(scenario, output, options, inputs)
    if plan_csv is not None:
        from supplylab.io import write_text_atomic

        write_text_atomic(plan_csv, result.plan.weekly.to_csv(index=False))
    checked = None
    if verify:
        from supplylab.optimize.steering.verify import verify_files

        assert output is not None
        checked = verify_files(scenario, output, replications, seed, workers)
    if as_json:
        typer.echo(json.dumps(_document(result, checked), indent=2, allow_nan=False))
        return
    _print(result, checked, plan_csv)


def _window(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    a, sep, b = text.partition(":")
    try:
        lo, hi = float(a), float(b)
    except ValueError:
        raise InputError(f"--window needs FIRST:LAST days, got {text!r}", "--window") from None
    if not sep or not (math.isfinite(lo) and math.isfinite(hi)):
        raise InputError(f"--window needs FIRST:LAST days, got {text!r}", "--window")
    return lo, hi


def _cross(items: list[str] | None) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for text in items or []:
        pair, _, share = text.partition("=")
        p, _, q = pair.partition(":")
        try:
            value = float(share)
        except ValueError:
            value = math.nan
        if not p or not q or not math.isfinite(value):
            raise InputError(f"--cross-effect needs PROMOTED:OTHER=SHARE, got {text!r}",
                             "--cross-effect")
        out.setdefault(p.strip(), {})[q.strip()] = value
    return out


def _pairs(items: list[str] | None, option: str, kind: type) -> dict[str, Any]:
    """PRODUCT=VALUE options as a mapping."""
    out: dict[str, Any] = {}
    for text in items or []:
        key, sep, value = text.partition("=")
        try:
            out[key.strip()] = kind(value)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise InputError(f"{option} needs PRODUCT=VALUE, got {text!r}", option)
    return out


def _receipts(path: Path) -> dict[str, dict[int, float]]:
    import csv

    out: dict[str, dict[int, float]] = {}
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", str(path)) from None
    for k, row in enumerate(rows, start=2):
        try:
            p, w, q = row["product"], int(row["week"]), float(row["units"])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{path}:{k}: a receipt needs columns product,week,units "
                             "(week an integer, units a number)", str(path)) from None
        out.setdefault(p, {})
        out[p][w] = out[p].get(w, 0.0) + q
    return out


def _records(frame: Any) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", double_precision=10))


def _document(result: Any, checked: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"scenario": str(result.source),
                           "output": None if result.output is None else str(result.output),
                           **result.plan.summary(),
                           "calendar": _records(result.plan.calendar),
                           "conservation": _records(result.plan.conservation()),
                           "plan": _records(result.plan.weekly)}
    if checked is not None:
        doc["verify"] = _records(checked)
    return doc


def _units(value: float) -> str:
    """Units for the 80-column plan table: whole units below 10,000, else 3 significant digits
    with k / M (10.6k, 1.23M)."""
    from supplylab.experiments.tables import fmt

    big = abs(value) >= 1e4
    return fmt(value, 2 - int(math.floor(math.log10(abs(value)))) if big else 0)


def _print(result: Any, checked: Any, plan_csv: Path | None) -> None:
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from supplylab.optimize.display import summary_value

    console = Console()
    plan = result.plan
    table = Table(title=f"demand steering: {escape(str(result.source))}")
    table.add_column("field")
    table.add_column("value", justify="right")
    for key, val in plan.summary().items():
        table.add_row(key, summary_value(key, val))
    if result.output is not None:
        table.add_row("output", escape(str(result.output)))
    console.print(table)
    cal = Table(title="promotion calendar (new)")
    for col in ("product", "start_day", "end_day", "discount", "lift"):
        cal.add_column(col)
    for row in plan.calendar.itertuples(index=False):
        cal.add_row(escape(str(row.product)), f"{row.start_day:g}", f"{row.end_day:g}",
                    f"{row.discount:.0%}", f"{row.lift:g}")
    console.print(cal if len(plan.calendar) else "no new promotion pays for itself")
    columns = {"base_demand": "base\ndemand", "demand": "demand", "sold_regular": "sold\nregular",
               "sold_promo": "sold\npromo", "substituted_out": "subst\nout",
               "substituted_in": "subst\nin", "lost": "lost", "backordered": "back-\norder",
               "supply": "supply"}
    totals = plan.weekly.groupby("product", sort=False)[list(columns)].sum()
    tot = Table(title="plan per product (units over the plan; weekly rows: --plan or --json)",
                box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0, 0, 1))
    tot.add_column("product", overflow="fold", min_width=6)
    for col in totals.columns:
        head = columns[col]
        tot.add_column(head, justify="right", min_width=max(map(len, head.split())))
    for pid, row in totals.iterrows():
        tot.add_row(escape(str(pid)), *(_units(v) for v in row))
    console.print(tot)
    console.print("base demand = before promotions; subst out / in = units a shortage moved to / "
                  "from a substitute; back-order = units served late; supply = receipts",
                  highlight=False)
    if plan_csv is not None:
        console.print(f"weekly plan written to {escape(str(plan_csv))}")
    if checked is not None:
        ver = Table(title="simulated: steered - original (paired, common random numbers, 95%)")
        for col in ("dimension", "key", "kpi", "original", "steered", "diff", "95% interval"):
            ver.add_column(col)
        for row in checked.itertuples(index=False):
            ver.add_row(row.dimension, escape(str(row.key)), row.kpi, f"{row.original:,.4g}",
                        f"{row.steered:,.4g}", f"{row.diff:+,.4g}",
                        f"[{row.ci_low:+,.4g}, {row.ci_high:+,.4g}]")
        console.print(ver)
