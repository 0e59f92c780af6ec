"""The steered scenario: a small YAML that ``extends:`` the input and adds the calendar.

Only the decisions are written (``promotions:`` entries with ids ``STEER-<product>-<k>``), so
``diff`` shows what the optimiser chose; the scenario's own promotions stay (they are
commitments the plan was built around). The file is validated by loading it back before it
replaces anything (atomic write next to the target).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from supplylab.optimize.steering.problem import SteeringProblem
from supplylab.optimize.steering.scenario_input import SteeringInputs


def calendar_promotions(scenario: Any, problem: SteeringProblem, calendar: pd.DataFrame,
                        inputs: SteeringInputs) -> list[dict[str, Any]]:
    """``promotions:`` entries of the scenario language for the planned calendar."""
    taken = {p.id for p in scenario.promotions if p.id} | {p.id for p in scenario.products}
    pidx = {p: i for i, p in enumerate(problem.product_ids)}
    horizon = float(scenario.simulation.horizon_days)
    out: list[dict[str, Any]] = []
    count: dict[str, int] = {}
    for row in calendar.itertuples(index=False):
        i = pidx[row.product]
        count[row.product] = count.get(row.product, 0) + 1
        ident = f"STEER-{row.product}-{count[row.product]}"
        while ident in taken:
            ident += "x"
        taken.add(ident)
        promo: dict[str, Any] = {"id": ident, "product": row.product,
                                 "start_day": float(row.start_day),
                                 "end_day": float(min(row.end_day, horizon)),
                                 "discount": float(row.discount)}
        cross = {q: float(problem.cross[i, k]) for k, q in enumerate(problem.product_ids)
                 if problem.cross[i, k] != 0}
        if cross:
            promo["cross_effects"] = cross
        if problem.pull_forward[i] > 0 and problem.dip_weeks[i] > 0:
            promo["pull_forward"] = float(problem.pull_forward[i])
            promo["dip_days"] = float(7 * problem.dip_weeks[i])
        if inputs.targets:
            promo["targets"] = list(inputs.targets)
        out.append(promo)
    return out


def steered_document(source: Path, output: Path, name: str,
                     promotions: list[dict[str, Any]]) -> dict[str, Any]:
    """The output scenario's data: ``extends`` (relative to the output's folder), a name and
    the new promotions."""
    rel = os.path.relpath(source.resolve(), output.resolve().parent)
    doc: dict[str, Any] = {"extends": Path(rel).as_posix(), "name": f"{name} (steered)"}
    if promotions:
        doc["promotions"] = promotions
    return doc


def write_steered(source: Path, output: Path, name: str,
                  promotions: list[dict[str, Any]]) -> Path:
    """Validate the steered scenario (through ``extends``) and write it atomically."""
    import tempfile

    from supplylab.io import write_text_atomic
    from supplylab.scenario import load
    from supplylab.scenario.yaml_io import dump_yaml

    doc = steered_document(source, output, name, promotions)
    header = ("# Written by `supplylab optimize steering`: the promotion calendar it chose.\n"
              f"# Simulate it against {Path(doc['extends']).name} with common random numbers:\n"
              f"#   supplylab compare {source} {output}\n")
    text = header + dump_yaml(doc)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".check.yaml", dir=output.parent)
    os.close(fd)
    try:
        Path(tmp).write_text(text, encoding="utf-8")
        load(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)
    write_text_atomic(output, text)
    return output
