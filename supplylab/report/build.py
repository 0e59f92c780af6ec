"""Assemble a :class:`~supplylab.report.model.Report` from a results folder.

Which sections appear (docs/report.md): header and audit always; network when the folder
has ``network.json`` (or a scenario was given); service, inventory, money and customers for a
run when their KPIs are present; comparison (forest plot) for a comparison; sweep for a sweep;
optimisation for each optimiser document found.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .compare_sections import comparison_sections
from .folder import Folder, Optimisation, RunData
from .maps import network_map
from .model import Report, Section
from .plots import unit_label
from .run_sections import customers_section, inventory_section, money_section, service_section
from .style import PALETTE, big_numbers, colour_for, label, legend_outside, new_figure, short
from .sweep_sections import sweep_sections


def _fmt_days(x: Any) -> str:
    return "-" if x is None else f"{float(x):g} days"


def _audit_text(ok: bool | None) -> str:
    if ok is None:
        return "not recorded"
    return "units conserved in every replication" if ok else "UNITS NOT CONSERVED"


def _customer_units(run: RunData | None) -> pd.Series | None:
    if run is None:
        return None
    s = run.summary("customer")
    s = s[s["kpi"] == "demand_units"]
    return None if s.empty else s.set_index("key")["mean"]


def header(folder: Folder, now: dt.datetime) -> tuple[list[tuple[str, str]], bool | None, str]:
    """(facts, audit ok, subtitle) of the header."""
    from supplylab import __version__

    facts: list[tuple[str, str]] = []
    stamp = now.strftime("%Y-%m-%d %H:%M UTC")
    net = folder.network or {}
    if folder.run is not None:
        d = folder.run.doc
        ok = (d.get("audit") or {}).get("units_conserved")
        facts += [("scenario", str(d.get("scenario", ""))),
                  ("seed", str(d.get("seed", "-"))), ("replications",
                                                       str(d.get("replications", "-"))),
                  ("horizon", _fmt_days(d.get("horizon_days"))),
                  ("warm-up", _fmt_days(d.get("warmup_days"))),
                  ("results written by", f"supplylab {d.get('version', '?')}"),
                  ("scenario sha256", str(d.get("scenario_sha256", ""))[:16])]
    elif folder.compare is not None:
        c = folder.compare
        oks = [(a.doc.get("audit") or {}).get("units_conserved") for a in c.alternatives]
        ok = None if any(o is None for o in oks) else all(oks)
        first = c.alternatives[0].doc
        facts += [("baseline", c.baseline),
                  ("alternatives", ", ".join(a.label for a in c.alternatives[1:])),
                  ("seed", str(c.doc.get("seed", first.get("seed", "-")))),
                  ("replications", str(c.doc.get("replications", first.get("replications")))),
                  ("horizon", _fmt_days(first.get("horizon_days"))),
                  ("warm-up", _fmt_days(first.get("warmup_days"))),
                  ("common random numbers", "yes" if c.doc.get("common_random_numbers", True)
                   else "no"),
                  ("results written by", f"supplylab {first.get('version', '?')}")]
    else:
        assert folder.sweep is not None
        e = folder.sweep.experiment
        runs = folder.sweep.runs
        ok = None
        if runs is not None and "units_conserved" in runs:
            good = runs[runs["status"] == "ok"]["units_conserved"]
            ok = bool((pd.to_numeric(good, errors="coerce") == 1).all()) if len(good) else None
        facts += [("experiment", str(e.get("name", ""))), ("scenario", str(e.get("scenario", ""))),
                  ("design", str(e.get("design", "-"))),
                  ("points", str(folder.sweep.summary["point"].nunique())),
                  ("replications per point", str(e.get("replications", "-"))),
                  ("seed", str(e.get("seed", "-"))),
                  ("horizon", _fmt_days(e.get("days")) if e.get("days") else "the scenario's")]
    facts += [("report generated", f"{stamp} by supplylab {__version__}"),
              ("audit", _audit_text(ok))]
    return facts, ok, str(net.get("description") or "")


def network_sections(folder: Folder) -> list[Section]:
    sec = Section("network", "Network")
    if folder.compare is not None:
        nets = [(a.label, a.network, a) for a in folder.compare.alternatives if a.network]
        distinct = []
        for name, net, run in nets:
            if all(net.get("nodes") != n.get("nodes") or net.get("edges") != n.get("edges")
                   for _, n, _ in distinct):
                distinct.append((name, net, run))
        for i, (name, net, run) in enumerate(distinct):
            sec.figure(f"network_map_{i + 1}" if len(distinct) > 1 else "network_map",
                       network_map(net, _customer_units(run), title=f"Network: {short(name, 50)}"),
                       f"The network of {name}.")
    elif folder.network:
        sec.figure("network_map", network_map(folder.network, _customer_units(folder.run),
                                              title=f"Network: "
                                                    f"{short(folder.network.get('name', ''), 50)}"),
                   "Suppliers, 3PL sites and customers (by tier); lane width shows the "
                   "estimated flow (customer demand routed along the sourcing chains).")
    if folder.network:
        nodes = pd.DataFrame(folder.network.get("nodes", []))
        if not nodes.empty:
            sites = nodes[nodes["kind"] != "customer"]
            cols = [c for c in ("id", "name", "kind", "operator", "lat", "lon") if c in sites]
            sec.table("sites", sites[cols], "Sites on the map.")
    return [] if sec.empty else [sec]


def optimisation_sections(folder: Folder) -> list[Section]:
    out = []
    for i, opt in enumerate(o for o in folder.optimisations if o.kind != "at_risk"):
        sec = Section(f"optimisation-{i + 1}" if i else "optimisation",
                      f"Optimisation: {opt.name}")
        if opt.kind == "network":
            _network_design(sec, opt, folder)
        elif opt.kind == "frontier":
            _frontier(sec, opt)
        elif opt.kind == "calendar":
            _calendar(sec, opt)
        if not sec.empty:
            out.append(sec)
    return out


def _network_design(sec: Section, opt: Optimisation, folder: Folder) -> None:
    d = opt.doc
    rows = [(k, d[k]) for k in ("objective", "status", "gap", "best_bound", "solver",
                                "solve_time_s") if k in d]
    rows.append(("open_facilities", " ".join(map(str, d.get("open_facilities", [])))))
    sec.table(f"{opt.name}_summary", pd.DataFrame(rows, columns=["field", "value"]),
              "The chosen network.")
    if folder.network:
        units = _customer_units(folder.run)
        sec.figure(f"{opt.name}_before", network_map(folder.network, units,
                                                     title="Before: the input network"),
                   "Every site of the input scenario.")
        sec.figure(f"{opt.name}_after", network_map(folder.network, units,
                                                    title="After: the chosen network",
                                                    open_sites=set(map(str, d.get(
                                                        "open_facilities", [])))),
                   "Sites the optimiser closed are hollow; their lanes are dropped.")


def _records(value: Any) -> pd.DataFrame:
    return pd.DataFrame(value) if isinstance(value, list) and value and isinstance(
        value[0], dict) else pd.DataFrame()


def _frontier(sec: Section, opt: Optimisation) -> None:
    """A trade-off curve. The inventory optimiser's frontier (``holding_cost_per_year`` and
    ``achieved_<tier>`` columns) is drawn as one line per tier; any other as its first two
    numeric columns (or the document's ``x`` and ``y``)."""
    table = _records(opt.doc["frontier"])
    num = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    achieved = [c for c in num if str(c).startswith("achieved_")]
    cost = next((c for c in num if "cost" in str(c)), num[0] if num else None)
    if achieved and cost is not None:
        x, ys = cost, achieved
    elif len(num) >= 2:
        x = opt.doc.get("x") if opt.doc.get("x") in num else num[0]
        y = opt.doc.get("y") if opt.doc.get("y") in num else next(c for c in num if c != x)
        ys = [y]
    else:
        return
    fig = new_figure(height=3.4)
    ax = fig.add_subplot()
    t = table.sort_values(x)
    for y in ys:
        name = str(y).removeprefix("achieved_")
        ax.plot(t[x], t[y], "-o", ms=4, label=label(name),
                color=colour_for(name) if achieved else PALETTE[0])
    ax.set_xlabel(unit_label(str(x)))
    ax.set_ylabel("achieved service (share)" if achieved else unit_label(str(ys[0])))
    ax.set_title("Service-cost frontier" if achieved else
                 f"Trade-off: {short(ys[0], 30)} against {short(x, 30)}")
    ax.grid(True, axis="both")
    big_numbers(ax, "x")
    if achieved:
        legend_outside(ax)
    sec.figure(f"{opt.name}_frontier", fig, "Each point is an optimal solution for one setting "
               "(tier targets moved together).")
    sec.table(f"{opt.name}_frontier", table, "The frontier's points.")


def _calendar(sec: Section, opt: Optimisation) -> None:
    table = _records(opt.doc["calendar"])
    need = {"start_day", "end_day"}
    if table.empty or not need <= set(table.columns):
        return
    label_col = next((c for c in ("product", "id", "name") if c in table), None)
    labels = table[label_col].astype(str) if label_col else table.index.astype(str)
    rows = list(dict.fromkeys(labels))  # one row per product, its promotions side by side
    y = labels.map({v: i for i, v in enumerate(rows)}).to_numpy()
    fig = new_figure(height=1.0 + 0.35 * len(rows))
    ax = fig.add_subplot()
    start = table["start_day"].astype(float).to_numpy()
    width = table["end_day"].astype(float).to_numpy() - start
    ax.barh(y, width, left=start, height=0.6, color=PALETTE[1])
    if "discount" in table:
        for yi, x0, w, d in zip(y, start, width, table["discount"], strict=True):
            ax.text(x0 + w / 2, yi, f"{float(d):.0%}", ha="center", va="center", fontsize=7)
    ax.set_yticks(np.arange(len(rows)), [short(v) for v in rows])
    ax.invert_yaxis()
    ax.set_xlabel("day of the horizon")
    ax.set_title("Promotion calendar")
    ax.grid(True, axis="x")
    sec.figure(f"{opt.name}_calendar", fig, "When each promotion runs.")
    sec.table(f"{opt.name}_calendar", table, "The promotions chosen.")


def build_report(folder: Folder, now: dt.datetime | None = None) -> Report:
    """All sections for the folder, in reading order (figures are built here)."""
    now = now or dt.datetime.now(dt.UTC)
    facts, ok, subtitle = header(folder, now)
    sections = network_sections(folder)
    if folder.run is not None:
        warning = next((pd.DataFrame(o.doc["at_risk"]) for o in folder.optimisations
                        if o.kind == "at_risk"), None)
        for sec in (service_section(folder.run), inventory_section(folder.run),
                    money_section(folder.run), customers_section(folder.run, warning)):
            if sec is not None:
                sections.append(sec)
    elif folder.compare is not None:
        sections += comparison_sections(folder.compare)
    elif folder.sweep is not None:
        sections += sweep_sections(folder.sweep, str((folder.network or {}).get("currency", "")))
    sections += optimisation_sections(folder)
    return Report(folder.title, facts, sections, subtitle=subtitle, audit_ok=ok)
