"""``supplylab optimize inventory``: the command (registered by supplylab.optimize.commands).

Scenario mode writes OUT.yaml (a scenario that extends the input) and prints the policy table;
``--willems FILE`` solves a Willems (2008) chain with the guaranteed-service model instead.
With ``--json`` stdout carries exactly one JSON document: while solvers run, file descriptor 1
points at stderr, so a C library's banner cannot reach it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from supplylab.errors import InputError


@contextlib.contextmanager
def stdout_to_stderr(active: bool = True) -> Iterator[None]:
    """Send everything written to fd 1 (Python or C) to fd 2 while the block runs."""
    if not active:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        _flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)


def _flush_c_stdio() -> None:
    """Flush C's stdio buffers, so text a library buffered goes where fd 1 points now."""
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError, TypeError):  # no C runtime to reach
        pass


def _class_targets(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    out = {}
    for part in text.split(","):
        key, sep, val = part.partition("=")
        try:
            out[key.strip().upper()] = float(val)
        except ValueError:
            raise InputError(f"--class-targets needs A=0.99,B=0.95,C=0.9, got {text!r}",
                             "--class-targets") from None
        if not sep:
            raise InputError(f"--class-targets needs A=0.99,B=0.95,C=0.9, got {text!r}",
                             "--class-targets")
    return out


def _menu(text: str | None) -> tuple[float, ...] | None:
    if not text:
        return None
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise InputError(f"--menu needs fill rates like 0.9,0.95,0.99, got {text!r}",
                         "--menu") from None


def inventory(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario YAML.")] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write the scenario with the chosen policies here.")] = None,
    target: Annotated[float | None, typer.Option(
        "--target", help="One service target for every product and site (0 < t < 1).")] = None,
    class_targets: Annotated[str | None, typer.Option(
        "--class-targets", help="Targets per ABC class, e.g. A=0.99,B=0.95,C=0.9.")] = None,
    measure: Annotated[str, typer.Option(
        "--measure", help="fill_rate (Type 2, default) or csl (cycle service level).")
    ] = "fill_rate",
    law: Annotated[str | None, typer.Option(
        "--law", help="Force the lead-time-demand law: poisson | negbin | normal | gamma.")
    ] = None,
    differentiate: Annotated[bool, typer.Option(
        "--differentiate", help="Pick a level per site-product so each tier's fill rate "
        "meets its target at least cost; print the service-cost frontier.")] = False,
    menu: Annotated[str | None, typer.Option(
        "--menu", help="Fill-rate menu for --differentiate, e.g. 0.9,0.95,0.98,0.99.")] = None,
    multi_echelon: Annotated[bool, typer.Option(
        "--multi-echelon", help="Place safety stock across echelons (guaranteed-service model "
        "per product) instead of site by site.")] = False,
    levels: Annotated[str, typer.Option(
        "--levels", help="analytic (formulas, default) or simulation (read off one simulation "
        "with ample stock: any demand and lead-time process).")] = "analytic",
    verify: Annotated[bool, typer.Option(
        "--verify", help="Simulate the result and compare target with achieved service.")
    ] = False,
    calibrate: Annotated[bool, typer.Option(
        "--calibrate", help="Raise levels where the simulation misses, until it meets them.")
    ] = False,
    replications: Annotated[int, typer.Option(
        "--replications", min=1, help="Replications of --verify / --calibrate.")] = 5,
    days: Annotated[float | None, typer.Option(
        "--days", min=1.0, help="Horizon of --verify / --calibrate (default: scenario's).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Root seed.")] = None,
    willems: Annotated[Path | None, typer.Option(
        "--willems", help="Solve a Willems (2008) chain CSV with the guaranteed-service model.")
    ] = None,
    method: Annotated[str, typer.Option(
        "--method", help="GSM method: auto (tree DP on trees, else MILP) | tree | milp.")
    ] = "auto",
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.001, help="GSM solver time limit, seconds.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Set reorder points and order-up-to levels for every product at every site."""
    if (scenario is None) == (willems is None):
        raise InputError("give either a SCENARIO file or --willems FILE")
    if willems is not None:
        _willems(willems, method, time_limit, as_json)
        return
    from supplylab.optimize.inventory.api import optimize_inventory
    from supplylab.optimize.inventory.site_policies import Targets

    if measure not in ("fill_rate", "csl"):
        raise InputError(f"--measure must be fill_rate or csl, not {measure!r}")
    targets = Targets(measure=measure, value=target, by_class=_class_targets(class_targets),  # type: ignore[arg-type]
                      law=law)
    if law is not None and law not in ("poisson", "negbin", "normal", "gamma"):
        raise InputError(f"--law must be poisson, negbin, normal or gamma, not {law!r}")
    with stdout_to_stderr(as_json):
        res = optimize_inventory(scenario, output, targets=targets, differentiate=differentiate,
                                 menu=_menu(menu), levels=levels,
                                 multi_echelon=multi_echelon, verify=verify,
                                 calibrate=calibrate,
                                 replications=replications, days=days, seed=seed)
    if as_json:
        typer.echo(json.dumps(res.to_document(), indent=2, allow_nan=False, default=_default))
        return
    _print_tables(res)


def _default(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    return str(x)


def _willems(path: Path, method: str, time_limit: float | None, as_json: bool) -> None:
    from supplylab.optimize.inventory.gsm_milp import solve_gsm
    from supplylab.optimize.inventory.willems import read_willems

    if method not in ("auto", "tree", "milp"):
        raise InputError(f"--method must be auto, tree or milp, not {method!r}")
    net = read_willems(path)
    with stdout_to_stderr(as_json):
        sol = solve_gsm(net, method, time_limit_s=time_limit)  # type: ignore[arg-type]
    doc = sol.summary()
    if as_json:
        typer.echo(json.dumps(doc, indent=2, allow_nan=False, default=_default))
        return
    from rich.console import Console

    Console().print(f"{doc['instance']}: {doc['stages']} stages, objective "
                    f"{doc['objective']:,.2f} ({doc['status']}, bound {doc['bound']:,.2f}, gap "
                    f"{100 * doc['gap']:.3f}%, {doc['method']}, {doc['time_s']:.2f} s)",
                    markup=False, highlight=False)
    _print_frame(sol.table(), "committed service times")


def _print_frame(frame: Any, title: str, headers: list[str] | None = None) -> None:
    """A frame as a compact terminal table (``headers`` replace the column names)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False,
                  padding=(0, 0, 0, 1))
    rows = [[_cell(v) for v in row]
            for row in frame.itertuples(index=False)]
    for i, col in enumerate(headers or [str(c) for c in frame.columns]):
        # wide enough for its longest word, so that a narrow terminal wraps at spaces
        # rather than inside a name ("fill_rat/e"); fold only what is longer than 16
        words = [w for text in [col, *(r[i] for r in rows)] for w in text.split()]
        table.add_column(col, overflow="fold", min_width=min(16, max(map(len, words),
                                                                     default=1)))
    for row in rows:
        table.add_row(*(Text(v) for v in row))
    Console().print(table)


def _cell(value: Any) -> str:
    """A float from 1,000 on as a whole number with separators (a cost reads 55,320, not
    5.532e+04), a smaller one to 4 significant digits; anything else as text."""
    if not isinstance(value, float):
        return str(value)
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


#: The policy table as printed: the columns a planner reads first, with short headers (the
#: whole table, with demand, lead time, law and CSL, is in --json and ``result.table()``).
_POLICY_COLUMNS = {"site": "site", "product": "product", "policy": "policy",
                   "params": "levels", "target": "target", "safety_stock": "safety",
                   "expected_fill_rate": "fill", "holding_cost_per_year": "hold/yr"}


def _print_tables(res: Any) -> None:
    _print_frame(res.table()[list(_POLICY_COLUMNS)],
                 f"inventory policies: {Path(res.scenario).name} (all columns: --json)",
                 list(_POLICY_COLUMNS.values()))
    if res.frontier is not None:
        _print_frame(res.frontier, "service-cost frontier")
    if res.stages is not None:
        _print_frame(res.stages, "guaranteed-service stages")
    if res.verification is not None:
        _print_frame(res.verification, "simulated service against targets")
    for r in res.calibration:
        typer.echo(f"calibration round {r['round']}: missed {', '.join(r['missed']) or 'none'}; "
                   f"holding cost {r['holding_cost_per_year']:,.0f}/year")
    for short in res.supply_shortfalls:
        typer.echo(f"warning: {short.message()}", err=True)
    if res.substitution_spill:
        from supplylab.optimize.inventory.api import spill_message

        for spill in res.substitution_spill:
            typer.echo(f"planned for substitution: {spill_message(spill)}")
    s = res.summary()
    typer.echo(f"{s['policies']} policies, expected holding cost "
               f"{s['holding_cost_per_year']:,.0f} per year"
               + (f"; written to {s['output']}" if s["output"] else ""))
