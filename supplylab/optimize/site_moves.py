"""Site-set moves for single-source facility location: swaps and pairs of swaps, screened by
the Lagrangian bound and costed by the exact assignment.

Around the incumbent's open set ``S`` every set that closes up to two open sites and opens up
to two closed ones (:data:`NARROW`) (single swaps, close-one/open-two, close-two/open-one, double swaps, plain
closes and opens; only sites the Lagrangian fixing left free) is a candidate:

1. screen: the Lagrangian bound of the set, ``sum_j lam_j + sum_{i in T} v_i(lam)`` (``v_i``
   the site values of :mod:`~supplylab.optimize.lagrangian`, a lower bound on the cost of
   network ``T`` with any single-source assignment). Sets whose bound is not below the
   incumbent, or whose capacity is below the demand, cannot improve and are dropped; the rest
   are ranked by it (numpy over all pairs at once: 10^5 sets in milliseconds). On Yang p6 the
   better set two swaps away (F3, F11 closed, F12, F37 opened) ranks first or second of about
   800. The greedy assignment (:func:`~supplylab.optimize.assignment.assign_single`) was tried
   as a second screen and dropped: on those tight sets it fails (no feasible placement) or
   ends 2-3% above the exact cost;
2. short exact assignment (:func:`~supplylab.optimize.neighbourhood.try_assignment`: the GAP
   MIP in HiGHS with a cutoff at the incumbent, :data:`SCREEN_S` seconds), in bound order: a
   set that cannot beat the incumbent ends in about 0.05 s; one that is not settled keeps
   HiGHS's lower bound on its cost, a far sharper estimate than the Lagrangian one (p6: 27956
   for the better set, 28058 and more for the others, incumbent 28077). A set it leaves
   unsettled with a bound below the incumbent gets :data:`HEURISTIC_S` seconds of the
   seed-independent Lagrangian GAP heuristic (:mod:`~supplylab.optimize.gap_heuristic`,
   started from the screen's multipliers); an assignment below the incumbent is kept and
   polished by the exact assignment started from it;
3. deep exact assignment (:data:`DEEP_S` seconds) of the unsettled set with the lowest GAP
   bound, after every :data:`SCREEN_BATCH` screens and when the ranking is exhausted; a set
   still unsettled goes back into the list with its new bound and is retried with another
   HiGHS random seed, :data:`DEEP_TRIES` runs at most. Deep runs of sets already screened
   may go on past the time for new screens (``extra_s``: the pipeline lends them part of the
   reduced MIP's time).

Wide moves: once a HiGHS screen leaves a set unsettled below the incumbent (tight sets, as on
Yang's), each centre is searched with the :data:`WIDE` moves (up to three sites closed, three
opened, five changed: Yang p11's better set closes 2 and opens 3), the :data:`WIDE_RANKED`
lowest bounds of them, in bound order as above but with a shorter HiGHS screen
(:data:`WIDE_SCREEN_S`; p10's better set ranks 351st of the narrow moves alone, more than 1 s
screens reach), :data:`PRESCREEN_S` seconds of the GAP heuristic (:func:`gap_screen`) on a set
it leaves unsettled (a set whose GAP bound reaches the incumbent is dropped, an assignment
below it is kept, the others go to the deep runs) and a deep run after every
:data:`WIDE_BATCH` screens. Where every screen settles (Holmberg's, Yang p11's), a centre whose
narrow moves bring nothing gets one probe round of wide moves: the same short screens, but a
set left unsettled counts as idle (no heuristic, no deep run), so the idle stop ends it after
at most SCREEN_IDLE x WIDE_SCREEN_S seconds. The GAP heuristic alone as the first screen was
tried and dropped: on Yang p11 it dropped 1 of 13 sets in 0.27 s each, where HiGHS settles
most in well under 0.3 s.

An improvement re-centres the search on the new open set; it ends when time is up, no set
passes, or :data:`SCREEN_IDLE` screens in a row settle with nothing left to run deep. Every solution kept went through :meth:`Incumbent.accept`, so the incumbent stays a
valid upper bound. Costs in currency per year, capacity and demand in units per year.
"""

from __future__ import annotations

import time
from itertools import combinations

import numpy as np

from supplylab.optimize.gap_heuristic import lagrangian_gap
from supplylab.optimize.heuristics import Incumbent
from supplylab.optimize.lagrangian import LagrangianPoint
from supplylab.optimize.neighbourhood import AssignmentTry, try_assignment
from supplylab.optimize.problem import NetworkDesignProblem, NetworkOptions

#: seconds of the first exact assignment of a set (with the cutoff at the incumbent most sets
#: end in about 0.05 s: nothing cheaper), of the longer one that the unsettled set with the
#: lowest GAP bound gets after every SCREEN_BATCH screens, and the least worth starting
SCREEN_S = 1.0
DEEP_S = 8.0
SCREEN_BATCH = 12
#: a centre whose SCREEN_IDLE best-ranked sets in a row are all settled (none cheaper) with
#: none unsettled is taken as locally optimal (Holmberg p30/p32/p56, already optimal after the
#: clusters, otherwise screen 10 s of sets that cannot win)
SCREEN_IDLE = 24
#: deep runs of one set at most, each with another HiGHS random seed (on p6's better set one
#: 8 s run in three finds a solution below the incumbent: which one depends on the seed)
DEEP_TRIES = 3
MIN_MOVE_S = 0.3
#: seconds of the Lagrangian GAP heuristic (:mod:`~supplylab.optimize.gap_heuristic`) on a set
#: the short exact assignment left unsettled: a second, seed-independent chance (Yang p7's
#: better set: HiGHS unsettled after 1 s, the heuristic 29755 below the incumbent 29789 in 1 s)
HEURISTIC_S = 1.0
#: the moves around a centre: (most sites closed, most opened, most changed in all). NARROW
#: while HiGHS settles every screened set (Holmberg: settled at the first screen, so the idle
#: stop ends the moves within seconds); WIDE once a screen leaves a set unsettled below the
#: incumbent (Yang: tightly filled sets; p11's better set closes 2 and opens 3 sites)
NARROW = (2, 2, 4)
WIDE = (3, 3, 5)
#: most wide moves ranked per centre (the lowest Lagrangian bounds; about 10^4 sets can be
#: screened in a minute at best, so more only costs memory)
WIDE_RANKED = 20000
#: seconds of the HiGHS screen of a wide move (a set that cannot beat the incumbent ends in
#: about 0.05 s) and of the Lagrangian GAP heuristic on a wide move that screen leaves
#: unsettled (a set whose GAP bound reaches the incumbent is dropped, one assignment below it
#: is kept); the others go to the deep runs
WIDE_SCREEN_S = 0.3
PRESCREEN_S = 0.25
#: wide screens between two deep runs (the narrow moves' SCREEN_BATCH would spend most of the
#: time on deep runs: Yang p11, 29 screens and 3 deep runs in 26 s)
WIDE_BATCH = 48


def _subsets(sites: np.ndarray, v: np.ndarray, cap: np.ndarray, k: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every subset of ``sites`` of size ``k`` (rows of site indices, lexicographic) with its
    summed ``v`` (currency/yr) and capacity (units/yr)."""
    if k == 0:
        idx = np.zeros((1, 0), dtype=np.intp)
    else:
        idx = np.array(list(combinations(range(sites.size), k)), dtype=np.intp).reshape(-1, k)
    sub = sites[idx]
    return sub, v[sub].sum(axis=1), cap[sub].sum(axis=1)


def ranked_moves(inc: Incumbent, point: LagrangianPoint, free: np.ndarray,
                 limits: tuple[int, int, int] = NARROW, most: int | None = None
                 ) -> list[tuple[float, tuple[int, ...], tuple[int, ...]]]:
    """Moves (bound, sites closed, sites opened) around the incumbent's open set whose
    Lagrangian bound is below the incumbent and whose capacity covers the demand, lowest
    bound first (ties: fewer closes, then fewer opens, then lexicographic).

    ``limits``: (most sites closed, most opened, most changed in all), only sites in
    ``free``; ``most``: keep only that many of the lowest bounds (None: all).
    """
    data = inc.data
    y = inc.y
    v = point.v
    max_close, max_open, max_changes = limits
    cap = np.where(np.isfinite(data.capacity), data.capacity, data.total_demand)
    now = float(point.lam.sum()) + float(v[y].sum())
    cap_now = float(cap[y].sum())
    on, off = np.flatnonzero(y & free), np.flatnonzero(~y & free)
    closes = [_subsets(on, v, cap, k) for k in range(min(max_close, on.size) + 1)]
    opens = [_subsets(off, v, cap, k) for k in range(min(max_open, off.size) + 1)]
    c_off = np.cumsum([0] + [c[0].shape[0] for c in closes])
    o_off = np.cumsum([0] + [o[0].shape[0] for o in opens])
    bounds, ia, ib = [], [], []
    for kc, (_, dv_c, dc_c) in enumerate(closes):
        for ko, (_, dv_o, dc_o) in enumerate(opens):
            if kc + ko == 0 or kc + ko > max_changes:
                continue
            bound = now - dv_c[:, None] + dv_o[None, :]
            room = cap_now - dc_c[:, None] + dc_o[None, :]
            a, b = np.nonzero((bound < inc.value * (1 - 1e-9))
                              & (room >= data.total_demand * (1 - 1e-12)))
            bounds.append(bound[a, b])
            ia.append(a + c_off[kc])
            ib.append(b + o_off[ko])
    if not bounds:
        return []
    bound, a, b = np.concatenate(bounds), np.concatenate(ia), np.concatenate(ib)
    order = np.lexsort((b, a, bound))
    if most is not None:
        order = order[:most]
    kc = np.searchsorted(c_off, a[order], side="right") - 1
    ko = np.searchsorted(o_off, b[order], side="right") - 1
    out = []
    for k, i, j in zip(order.tolist(), kc.tolist(), ko.tolist(), strict=True):
        out.append((float(bound[k]), tuple(closes[i][0][a[k] - c_off[i]].tolist()),
                    tuple(opens[j][0][b[k] - o_off[j]].tolist())))
    return out


def gap_screen(inc: Incumbent, lam: np.ndarray, keep: np.ndarray, t: np.ndarray,
               time_limit_s: float) -> tuple[bool, float, np.ndarray | None]:
    """The Lagrangian GAP heuristic (:func:`~supplylab.optimize.gap_heuristic.lagrangian_gap`,
    from multipliers ``lam``) on the open set ``t`` (m,) over the arcs ``keep`` (m, n), with the
    cutoff at the incumbent, for ``time_limit_s`` seconds at most.

    Returns (settled, bound, x): ``settled`` when the Lagrangian bound reached the incumbent
    (no assignment of ``t`` is cheaper: the set can be dropped); ``bound``: the set's fixed
    costs plus that bound (a lower bound on its cost, currency/yr); ``x`` (m, n): an assignment
    cheaper than the incumbent, or None.
    """
    data = inc.data
    sites = np.flatnonzero(t)
    fixed = float(data.fixed[sites].sum())
    cut = inc.value - fixed
    cost = np.where(keep[sites], data.cost[sites], np.inf)
    res = lagrangian_gap(cost, data.demand, data.capacity[sites], lam, cutoff=cut,
                         time_limit_s=time_limit_s, stop_below=True)
    settled = res.bound >= cut - 1e-9 * max(abs(cut), 1.0)
    if res.assign is None or fixed + res.value >= inc.value:
        return settled, fixed + res.bound, None
    x = np.zeros((data.m, data.n))
    x[sites[res.assign], np.arange(data.n)] = 1.0
    return False, fixed + res.bound, x


def swap_search(problem: NetworkDesignProblem, options: NetworkOptions, inc: Incumbent,
                point: LagrangianPoint, free: np.ndarray, keep: np.ndarray,
                time_limit_s: float, extra_s: float = 0.0) -> dict[str, float]:
    """Improve ``inc`` by site-set moves (see the module docstring); statistics.

    ``point``: the Lagrangian point whose ``lam``/``v`` screen the moves; ``free`` (m,): the
    sites fixing left free; ``keep`` (m, n): the arcs not removed by fixing. New sets are
    screened for ``time_limit_s``; the deep runs of sets already screened and still unsettled
    (a GAP bound below the incumbent) may go on for ``extra_s`` more seconds.
    """
    t0 = time.perf_counter()
    t_end = t0 + time_limit_s
    t_hard = t_end + max(0.0, extra_s)
    start = inc.value
    done: set[bytes] = set() if inc.y is None else {np.packbits(inc.y).tobytes()}
    # unsettled screens: (GAP bound, deep runs so far, set); the lowest bound goes deeper
    unsettled: list[tuple[float, int, np.ndarray]] = []
    tight = probe = False  # a set left unsettled seen; the wide moves once, as a probe
    heuristic_s = 0.0
    rounds = probes = screened = dropped = deep = wins = heuristic_wins = 0

    def attempt(t: np.ndarray, limit: float, seed: int | None = None,
                until: float | None = None) -> AssignmentTry | None:
        left = (t_end if until is None else until) - time.perf_counter()
        if left < MIN_MOVE_S:
            return None
        return try_assignment(problem, options, inc, keep, t, min(limit, left), seed)

    def heuristic(t: np.ndarray, limit: float, until: float) -> AssignmentTry | None:
        """:func:`gap_screen` of set ``t`` for ``limit`` seconds at most (None when less than
        MIN_MOVE_S is left before ``until``); an assignment below the incumbent is accepted
        and polished by the exact assignment of the set started from it."""
        nonlocal heuristic_wins
        left = until - time.perf_counter()
        if left < MIN_MOVE_S:
            return None
        settled, bound, x = gap_screen(inc, point.lam, keep, t, min(limit, left))
        if x is None or not inc.accept(t, x):
            return AssignmentTry(False, settled, bound)
        heuristic_wins += 1
        attempt(t, SCREEN_S, until=t_hard)
        return AssignmentTry(True, False, bound)

    def go_deep() -> bool | None:
        """Deep run of the most promising unsettled set: True if it improved, None when
        time is up or nothing is left."""
        unsettled.sort(key=lambda u: u[0])
        while unsettled and unsettled[0][0] >= inc.value:
            unsettled.pop(0)
        if not unsettled:
            return None
        _, tries, t = unsettled.pop(0)
        res = attempt(t, DEEP_S, seed=tries, until=t_hard)
        if res is None:
            return None
        if not res.improved and not res.settled and tries + 1 < DEEP_TRIES:
            unsettled.append((res.bound, tries + 1, t))
        return res.improved

    while inc.y is not None and time.perf_counter() < (t_hard if unsettled else t_end):
        rounds += 1
        improved: bool | None = False
        batch = quiet = 0
        widened = tight or probe
        probing = widened and not tight
        probes += probing
        moves = ranked_moves(inc, point, free, WIDE, WIDE_RANKED) if widened else \
            ranked_moves(inc, point, free)
        for _, out, into in moves:
            t = inc.y.copy()
            t[list(out)] = False
            t[list(into)] = True
            key = np.packbits(t).tobytes()
            if key in done:
                continue
            done.add(key)
            res = attempt(t, WIDE_SCREEN_S if widened else SCREEN_S)
            if res is None:
                break
            screened += 1
            batch += 1
            quiet += 1
            if res.improved:
                improved = True
                break
            if not res.settled and res.bound < inc.value and not probing:
                tight = True  # tightly filled sets: the wide moves from now on
                t_gap = time.perf_counter()
                got = heuristic(t, PRESCREEN_S, t_end) if widened else \
                    heuristic(t, HEURISTIC_S, t_hard)
                heuristic_s += time.perf_counter() - t_gap
                if got is not None and got.improved:
                    improved = True
                    break
                if got is not None and got.settled:
                    dropped += 1
                else:
                    bound = res.bound if got is None else max(res.bound, got.bound)
                    unsettled.append((bound, 0, t))
                    quiet = 0
                if not widened:
                    break  # the same centre again, with the wide moves
            if quiet >= SCREEN_IDLE and not unsettled:  # the best-ranked sets cannot win
                break
            if batch >= (WIDE_BATCH if widened else SCREEN_BATCH) and unsettled:
                batch = 0
                deep += 1
                improved = go_deep()
                if improved is None or improved:
                    break
        if tight and not widened and not improved:
            continue
        while improved is False and unsettled and time.perf_counter() < t_hard:
            deep += 1
            improved = go_deep()
        if not improved:
            if widened or time.perf_counter() >= t_end:
                break
            probe = True  # nothing in the narrow moves: the wide ones around the same centre
            continue
        probe = False
        wins += 1
    return {"swap_rounds": rounds, "swap_screened": screened, "swap_tight": float(tight),
            "swap_probes": probes,
            "swap_heuristic_dropped": dropped, "swap_heuristic_s": heuristic_s,
            "swap_deep": deep, "swap_wins": wins, "swap_heuristic_wins": heuristic_wins,
            "swap_gain": start - inc.value, "swap_s": time.perf_counter() - t0}
