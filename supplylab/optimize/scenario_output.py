"""Write the chosen network as a small scenario that ``extends:`` the input.

Only the decisions are written, so a diff against nothing shows what was chosen and the
input's comments stay where they are:

* ``facilities``: ``open: false`` for every closed site; the chosen size of a site with
  ``capacity_levels`` as its ``capacity_units_per_day`` and ``fixed_cost_per_year``; a changed
  source as ``replenish_from``;
* ``customers``: ``served_by`` of every modelled customer whose serving site is not already
  the input's explicit ``served_by``;
* ``customer_groups``: ``served_by`` = the site serving most of the group's demand, and
  ``served_by_members`` for every member served elsewhere (and for members the input listed,
  so that no stale exception survives the merge).

A customer split over several sites (``sourcing: multi``) is written with its main site: the
simulation serves each customer from one site.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from supplylab.optimize.network import OUTSIDE, NetworkSolution
from supplylab.optimize.problem import NetworkDesignProblem

DAYS_PER_YEAR = 365.0


def decisions(scenario: Any, problem: NetworkDesignProblem,
              solution: NetworkSolution) -> dict[str, Any]:
    """The keys the chosen scenario sets on top of the input (merge-by-id lists)."""
    main = dict(zip(solution.assignments["customer"], solution.assignments["site"],
                    strict=True))
    open_ids = set(solution.open_site_ids)
    sizes = solution.open_sites.set_index("site")
    facilities: list[dict[str, Any]] = []
    for f in scenario.facilities:
        if f.id not in problem.site_ids:
            continue
        entry = {"id": f.id}
        if f.id not in open_ids:
            entry["open"] = False
        else:
            if f.capacity_levels:
                row = sizes.loc[f.id]
                entry["capacity_units_per_day"] = float(row["capacity"]) / DAYS_PER_YEAR
                entry["fixed_cost_per_year"] = float(row["fixed_cost"])
            src = solution.sourcing.get(f.id)
            busy = float(sizes.loc[f.id, "throughput"]) > 0  # an idle site keeps its source
            if busy and src is not None and src != OUTSIDE and src != f.replenish_from:
                entry["replenish_from"] = src
        if len(entry) > 1:
            facilities.append(entry)
    customers = [{"id": c.id, "served_by": main[c.id]} for c in scenario.customers
                 if c.id in main and c.served_by != main[c.id]]
    groups = []
    from supplylab.scenario.network import member_ids

    cidx = {c: j for j, c in enumerate(problem.customer_ids)}
    for g in scenario.customer_groups:
        members = [cid for cid in member_ids(g) if cid in main]
        if not members:
            continue
        load: Counter[str] = Counter()
        for cid in members:
            load[main[cid]] += float(problem.demand[cidx[cid]])
        site = max(sorted(load), key=lambda s: load[s])
        exceptions = {cid: main[cid] for cid in members
                      if main[cid] != site or cid in g.served_by_members}
        entry: dict[str, Any] = {"id_prefix": g.id_prefix}
        if g.served_by != site:
            entry["served_by"] = site
        if exceptions:
            entry["served_by_members"] = exceptions
        if len(entry) > 1:
            groups.append(entry)
    out: dict[str, Any] = {}
    for key, items in (("facilities", facilities), ("customers", customers),
                       ("customer_groups", groups)):
        if items:
            out[key] = items
    return out


def chosen_scenario_text(scenario: Any, source: Path, output: Path,
                         problem: NetworkDesignProblem, solution: NetworkSolution) -> str:
    """YAML text of the chosen scenario: a header, ``extends:`` and the decisions."""
    from supplylab.scenario.yaml_io import dump_yaml

    src, folder = source.resolve(), output.resolve().parent
    common = Path(os.path.commonpath([src, folder]))
    # relative when the two share a project folder, else absolute
    base = os.path.relpath(src, folder) if common != Path(common.anchor) else str(src)
    closed = [s for s in problem.site_ids if s not in set(solution.open_site_ids)]
    gap = "" if solution.gap is None else f", gap {solution.gap:.2%}"
    head = [
        f"# The network chosen by `supplylab optimize network` for {source.name}:",
        f"# {solution.status}{gap}, cost {solution.objective:,.0f} per year; "
        f"{len(solution.open_site_ids)} of {problem.m} sites open.",
        f"# Closed: {', '.join(closed) if closed else 'none'}.",
        "# Only the decisions are set here; everything else comes from the base scenario.",
    ]
    body = {"extends": Path(base).as_posix(), "name": f"{scenario.name} (optimised network)"}
    body.update(decisions(scenario, problem, solution))
    return "\n".join(head) + "\n" + dump_yaml(body)


def write_chosen_scenario(scenario: Any, source: Path, output: Path,
                          problem: NetworkDesignProblem, solution: NetworkSolution) -> Path:
    """Write the chosen scenario next to ``output`` atomically, after it loads and validates
    (a temporary file in the same folder, so that ``extends:`` resolves as it will)."""
    from supplylab.scenario import load

    text = chosen_scenario_text(scenario, source, output, problem, solution)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    from supplylab.scenario.yaml_io import allowing

    try:
        with allowing([Path(source).resolve().parent]):  # the output extends the input
            load(tmp)
        os.replace(tmp, output)
    finally:
        if tmp.exists():
            tmp.unlink()
    return output
