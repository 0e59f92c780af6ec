"""Reader of the Willems (2008) multi-echelon chains (the snc CSV conversion) as GSM networks.

Conventions (``../shared/benchmarks/inventory/willems2008/README.md``): holding cost
h_k = ``holding_rate`` x cumulative cost (the stage's ``cost_rate`` plus its suppliers'
cumulative costs, BOM quantities ignored); demand variance pooled upstream (a stage's variance is
its own external variance plus the variances of its customers); z = the largest
``ext_demand_thres``; processing times rounded to integers (half away from zero); SI = 0 at
stages without suppliers; S <= ``max_s_time`` at demand stages.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from supplylab.errors import InputError
from supplylab.optimize.inventory.gsm import GSMNetwork


def _num(text: str, where: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        val = float(text)
    except ValueError:
        raise InputError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(val) or val < 0:
        raise InputError(f"{where}: {text!r} must be a finite number >= 0")
    return val


def round_half_up(x: float) -> int:
    """Processing time rounding: 53.5 -> 54."""
    return int(math.floor(x + 0.5))


def read_willems(path: str | Path, holding_rate: float = 0.2) -> GSMNetwork:
    """A Willems chain CSV as a :class:`GSMNetwork` under the README's conventions."""
    p = Path(path)
    try:
        with open(p, newline="") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror}", file=str(p)) from None
    if not rows or rows[0][:2] != ["stage_id", "lead_time"]:
        raise InputError(f"{p}:1: not a Willems chain file (expected a header starting "
                         "stage_id,lead_time)", file=str(p))
    ids, T, cost, var, mean, smax, zs = [], [], [], [], [], {}, []
    ups: list[list[str]] = []
    for line, r in enumerate(rows[1:], start=2):
        if not r or not r[0].strip():
            continue
        where = f"{p}:{line}"
        r = r + [""] * (8 - len(r))
        sid = r[0].strip()
        ids.append(sid)
        T.append(round_half_up(_num(r[1], f"{where}: lead_time") or 0.0))
        ms = _num(r[2], f"{where}: max_s_time")
        if ms is not None:
            smax[sid] = int(ms)
        cost.append(_num(r[3], f"{where}: cost_rate") or 0.0)
        mean.append(_num(r[5], f"{where}: ext_demand_mean") or 0.0)
        var.append((_num(r[6], f"{where}: ext_demand_std") or 0.0) ** 2)
        z = _num(r[7], f"{where}: ext_demand_thres")
        if z is not None:
            zs.append(z)
        rest = [x.strip() for x in r[8:]]
        if len(rest) % 2 and rest[-1] == "":
            rest = rest[:-1]
        ups.append([rest[i] for i in range(0, len(rest) - 1, 2) if rest[i]])
    pos = {s: i for i, s in enumerate(ids)}
    arcs = []
    for k, us in enumerate(ups):
        for u in us:
            if u not in pos:
                raise InputError(f"{p}: stage {ids[k]!r} names unknown supplier {u!r}",
                                 file=str(p))
            arcs.append((u, ids[k]))
    if not zs:
        raise InputError(f"{p}: no demand stage (ext_demand_thres) found", file=str(p))
    n = len(ids)
    # a provisional network gives the topological order (and rejects cycles)
    net = GSMNetwork.build(ids, T, np.zeros(n), np.zeros(n), max(zs), arcs, smax,
                           name=p.stem)
    sup = net.suppliers()
    cum = np.array(cost, dtype=float)
    for k in net.order:
        cum[k] += sum(cum[i] for i in sup[k])
    pooled = np.array(var, dtype=float)
    pooled_mean = np.array(mean, dtype=float)
    for k in reversed(net.order):
        for i in sup[k]:
            pooled[i] += pooled[k]
            pooled_mean[i] += pooled_mean[k]
    return GSMNetwork.build(ids, T, holding_rate * cum, np.sqrt(pooled), max(zs), arcs, smax,
                            mean=pooled_mean, name=p.stem)
