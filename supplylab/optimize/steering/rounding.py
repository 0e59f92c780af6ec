"""Relax and round: integral calendars from the LP relaxation's fractional one.

A calendar rounded week by week can break the business rules (a level switch between two
weeks is a new event touching the last, so it violates the gap; too many events; an event
too long). :func:`repair` turns any 0/1 pick into one that obeys ``one_level``, ``gap``,
``count`` and ``length``, keeping the weeks with the most LP mass; :func:`rounded` tries a few
thresholds, re-optimises the rest of the model as an LP for each and keeps the best. The
result is a feasible plan whose gap against the relaxation's bound is proven.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from supplylab.optimize.linear import LinearModel
from supplylab.optimize.solver import SolveOutcome, solve
from supplylab.optimize.steering.formulation import BuildContext
from supplylab.optimize.steering.problem import SteeringOptions

THRESHOLDS = (0.5, 0.35, 0.65)


def _runs(on: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) week of each run of True in a 1-d bool array."""
    out, w, t = [], 0, len(on)
    while w < t:
        if not on[w]:
            w += 1
            continue
        e = w
        while e + 1 < t and on[e + 1]:
            e += 1
        out.append((w, e))
        w = e + 1
    return out


def repair(x: np.ndarray, threshold: float, ctx: BuildContext) -> np.ndarray:
    """(N, T, L) 0/1 calendar from the relaxation's ``x``: weeks whose promotion share is at
    least ``threshold``, one level per event (its largest mass), events closer than the gap
    merged (when the weeks between may be promoted and the length allows) or the lighter one
    dropped, events longer than the limit cut to their heaviest window, and the lightest
    events dropped beyond the count."""
    pb, opt = ctx.problem, ctx.options
    n, t, nl = x.shape
    gap, longest = opt.min_gap_weeks, opt.max_event_weeks
    mass = x.sum(axis=2)
    may = ctx.usable.any(axis=2)
    pick = np.zeros_like(x)
    for i in range(n):
        on = (mass[i] >= threshold) & may[i]
        runs = _runs(on)
        merged: list[list[int]] = []
        for a, b in runs:
            if merged and a - merged[-1][1] - 1 < gap:
                pa, pb_ = merged[-1]
                fill = may[i, pb_ + 1:a].all()
                if fill and (longest is None or b - pa + 1 <= longest):
                    merged[-1][1] = b
                    continue
                if mass[i, a:b + 1].sum() > mass[i, pa:pb_ + 1].sum():
                    merged[-1] = [a, b]
                continue
            merged.append([a, b])
        events = []
        for a, b in merged:
            if longest is not None and b - a + 1 > longest:
                sums = np.convolve(mass[i, a:b + 1], np.ones(longest), "valid")
                a = a + int(sums.argmax())
                b = a + longest - 1
            lv = x[i, a:b + 1].sum(axis=0)
            lv = np.where(ctx.usable[i, a:b + 1].all(axis=0), lv, -1.0)
            if lv.max() < 0:
                continue
            events.append((float(mass[i, a:b + 1].sum()), a, b, int(lv.argmax())))
        if opt.max_promotions is not None:
            keep = max(0, opt.max_promotions - int(pb.committed_events[i]))
            events = sorted(events, reverse=True)[:keep]
        for _, a, b, lv in events:
            pick[i, a:b + 1, lv] = 1.0
    return pick


def rounded(model: LinearModel, ctx: BuildContext, lp: SolveOutcome,
            options: SteeringOptions) -> SolveOutcome | None:
    """The best of the repaired roundings of ``lp`` at :data:`THRESHOLDS`, each completed by
    optimising the other variables (an LP, or a small MIP over the ``out`` binaries of
    products whose stock could be held back); stops at the first within the gap; None when
    none is feasible. ``best_bound`` is the relaxation's objective, ``gap`` the proven gap."""
    assert lp.x is not None and lp.objective is not None
    x = lp.x[ctx.blocks["promo"]]
    rest = any(b.integer and name != "promo" for name, b in model.blocks.items())
    lp_opts = options.solver if rest else replace(options.solver, mip_rel_gap=0.0)
    best: SolveOutcome | None = None
    seen: list[np.ndarray] = []
    build = solve_s = 0.0
    for threshold in THRESHOLDS:
        pick = repair(x, threshold, ctx)
        if any(np.array_equal(pick, p) for p in seen):
            continue
        seen.append(pick)
        fixed = replace(model, blocks=dict(model.blocks))
        blk = fixed.blocks["promo"]
        fixed.blocks["promo"] = replace(blk, lower=pick.reshape(-1).copy(),
                                        upper=pick.reshape(-1).copy(), integer=False)
        out = solve(fixed, lp_opts)
        build += out.build_time_s
        solve_s += out.solve_time_s
        if out.has_solution and out.objective is not None and (
                best is None or out.objective < best.objective):
            best = out
        if best is not None and _gap(best, lp) <= options.solver.mip_rel_gap:
            break
    if best is None:
        return None
    gap = _gap(best, lp)
    return replace(best, best_bound=lp.objective, gap=gap, build_time_s=build,
                   solve_time_s=solve_s,
                   status_text=f"rounded LP relaxation within gap {gap:.2e}")


def _gap(out: SolveOutcome, lp: SolveOutcome) -> float:
    value, bound = -float(out.objective), -float(lp.objective)  # type: ignore[arg-type]
    return max(0.0, (bound - value) / max(abs(value), 1e-9))
