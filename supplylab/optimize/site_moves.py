"""Site-set moves for single-source facility location: swaps and pairs of swaps, screened by
the Lagrangian bound and costed by the exact assignment.

Around the incumbent's open set ``S`` every set that closes up to two open sites and opens up
to two closed ones (single swaps, close-one/open-two, close-two/open-one, double swaps, plain
closes and opens; only sites the Lagrangian fixing left free) is a candidate, and so are the
:data:`TRIPLES` triple swaps (three closed, three opened) with the lowest bounds:

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
   still unsettled goes back into the list with its new bound and is retried, :data:`DEEP_TRIES`
   runs at most: run :data:`PACKED_TRY` is
   :func:`~supplylab.optimize.neighbourhood.packed_assignment` (a packing from the zero-cost
   MIP, local moves, cluster MIPs: independent of HiGHS's seed), the others HiGHS with
   another random seed. Deep runs of sets already screened
   may go on past the time for new screens (``extra_s``: the pipeline lends them part of the
   reduced MIP's time).

An improvement re-centres the search on the new open set, whose assignment the cluster MIPs
of :func:`~supplylab.optimize.neighbourhood.cluster_search` first re-optimise
(:data:`RECLUSTER_S`); it ends when time is up, no set
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
from supplylab.optimize.neighbourhood import (
    AssignmentTry,
    cluster_search,
    packed_assignment,
    try_assignment,
)
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
#: the deep run of this number (0-based) is :func:`~supplylab.optimize.neighbourhood.packed_assignment`
#: (a packing, local moves, cluster MIPs) instead of HiGHS with another seed: Yang p6's
#: best-known set (3 units of spare capacity) gets a solution under the cutoff from HiGHS with
#: 1 seed of 4 in 8 s, from the packing and the clusters in 6.6 s
PACKED_TRY = 1
MIN_MOVE_S = 0.3
#: seconds of the Lagrangian GAP heuristic (:mod:`~supplylab.optimize.gap_heuristic`) on a set
#: the short exact assignment left unsettled: a second, seed-independent chance (Yang p7's
#: better set: HiGHS unsettled after 1 s, the heuristic 29755 below the incumbent 29789 in 1 s)
HEURISTIC_S = 1.0
#: seconds at most of the cluster MIPs (:func:`~supplylab.optimize.neighbourhood.cluster_search`,
#: until a cluster size brings nothing) on the assignment of each new centre
RECLUSTER_S = 3.0
#: most sites one move closes and opens
MAX_CHANGES = 2
#: each round also ranks the TRIPLES best triple swaps (three sites closed, three opened) by
#: the same bound among the moves above. Yang p10: the best-known set (29195) is three swaps
#: from the centre where the two-swap rounds end (29256), ranked 8th of the triple swaps; its
#: packed deep run reaches 29206 in 3.4 s. Few, so that they cost little screening time (the
#: reverted wide moves, up to 20,000 sets of up to five changes, lost more than they won)
TRIPLES = 12
#: triple swaps are ranked in chunks of this many close-triples (memory: chunk x open-triples)
TRIPLE_CHUNK = 64


def _subsets(sites: np.ndarray, v: np.ndarray, cap: np.ndarray
             ) -> tuple[list[tuple[int, ...]], np.ndarray, np.ndarray]:
    """Every subset of ``sites`` of size 0..MAX_CHANGES with its summed ``v`` and capacity."""
    subs: list[tuple[int, ...]] = [()]
    for k in range(1, MAX_CHANGES + 1):
        subs += list(combinations(sites.tolist(), k))
    dv = np.array([float(v[list(s)].sum()) for s in subs])
    dc = np.array([float(cap[list(s)].sum()) for s in subs])
    return subs, dv, dc


def ranked_moves(inc: Incumbent, point: LagrangianPoint, free: np.ndarray
                 ) -> list[tuple[float, tuple[int, ...], tuple[int, ...]]]:
    """Moves (bound, sites closed, sites opened) around the incumbent's open set whose
    Lagrangian bound is below the incumbent and whose capacity covers the demand, lowest
    bound first: every move of up to :data:`MAX_CHANGES` closes and opens, and the
    :data:`TRIPLES` best triple swaps."""
    data = inc.data
    y = inc.y
    v = point.v
    cap = np.where(np.isfinite(data.capacity), data.capacity, data.total_demand)
    now = float(point.lam.sum()) + float(v[y].sum())
    cap_now = float(cap[y].sum())
    closes, dv_c, dc_c = _subsets(np.flatnonzero(y & free), v, cap)
    opens, dv_o, dc_o = _subsets(np.flatnonzero(~y & free), v, cap)
    bound = now - dv_c[:, None] + dv_o[None, :]
    room = cap_now - dc_c[:, None] + dc_o[None, :]
    ok = (bound < inc.value * (1 - 1e-9)) & (room >= data.total_demand * (1 - 1e-12))
    ok[0, 0] = False
    a, b = np.nonzero(ok)
    moves = [(float(bound[a[k], b[k]]), closes[a[k]], opens[b[k]]) for k in range(a.size)]
    moves += _triple_moves(inc, point, free, now, cap_now, cap)
    moves.sort(key=lambda mv: mv[0])
    return moves


def _triple_moves(inc: Incumbent, point: LagrangianPoint, free: np.ndarray, now: float,
                  cap_now: float, cap: np.ndarray
                  ) -> list[tuple[float, tuple[int, ...], tuple[int, ...]]]:
    """The :data:`TRIPLES` triple swaps with the lowest Lagrangian bound below the incumbent
    whose capacity covers the demand (see :func:`ranked_moves`)."""
    data, y, v = inc.data, inc.y, point.v
    shut = list(combinations(np.flatnonzero(y & free).tolist(), 3))
    new = list(combinations(np.flatnonzero(~y & free).tolist(), 3))
    if TRIPLES <= 0 or not shut or not new:
        return []
    dv_c = v[np.array(shut)].sum(axis=1)
    dc_c = cap[np.array(shut)].sum(axis=1)
    dv_o = v[np.array(new)].sum(axis=1)
    dc_o = cap[np.array(new)].sum(axis=1)
    ceiling = inc.value * (1 - 1e-9)
    useful = np.flatnonzero(now - float(dv_c.max()) + dv_o < ceiling)  # others never pass
    if useful.size == 0:
        return []
    best: list[tuple[float, int, int]] = []
    for lo in range(0, len(shut), TRIPLE_CHUNK):
        rows = slice(lo, lo + TRIPLE_CHUNK)
        bound = now - dv_c[rows, None] + dv_o[None, useful]
        room = cap_now - dc_c[rows, None] + dc_o[None, useful]
        bound = np.where((bound < ceiling) & (room >= data.total_demand * (1 - 1e-12)),
                         bound, np.inf)
        flat = bound.reshape(-1)
        k = min(TRIPLES, flat.size)
        for f in np.argpartition(flat, k - 1)[:k]:
            if np.isfinite(flat[f]):
                r, c = divmod(int(f), useful.size)
                best.append((float(flat[f]), lo + r, int(useful[c])))
    best.sort()
    return [(b, shut[r], new[c]) for b, r, c in best[:TRIPLES]]


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
    rounds = screened = deep = wins = heuristic_wins = packed_wins = 0
    recluster_gain = 0.0

    def attempt(t: np.ndarray, limit: float, seed: int | None = None,
                until: float | None = None) -> AssignmentTry | None:
        left = (t_end if until is None else until) - time.perf_counter()
        if left < MIN_MOVE_S:
            return None
        return try_assignment(problem, options, inc, keep, t, min(limit, left), seed)

    def heuristic(t: np.ndarray) -> bool:
        """The Lagrangian GAP heuristic on set ``t``; True if it improved the incumbent
        (then the exact assignment of the new set, started from it, polishes it)."""
        nonlocal heuristic_wins
        left = t_hard - time.perf_counter()
        if left < MIN_MOVE_S:
            return False
        sites = np.flatnonzero(t)
        fixed = float(inc.data.fixed[sites].sum())
        cost = np.where(keep[sites], inc.data.cost[sites], np.inf)
        res = lagrangian_gap(cost, inc.data.demand,
                             inc.data.capacity[sites], point.lam, cutoff=inc.value - fixed,
                             time_limit_s=min(HEURISTIC_S, left), stop_below=True)
        if res.assign is None or fixed + res.value >= inc.value:
            return False
        x = np.zeros((inc.data.m, inc.data.n))
        x[sites[res.assign], np.arange(inc.data.n)] = 1.0
        if not inc.accept(t, x):
            return False
        heuristic_wins += 1
        attempt(t, SCREEN_S, until=t_hard)
        return True

    def go_deep() -> bool | None:
        """Deep run of the most promising unsettled set: True if it improved, None when
        time is up or nothing is left."""
        nonlocal packed_wins
        unsettled.sort(key=lambda u: u[0])
        while unsettled and unsettled[0][0] >= inc.value:
            unsettled.pop(0)
        if not unsettled:
            return None
        bound, tries, t = unsettled.pop(0)
        if tries == PACKED_TRY:  # the seed-independent chance: a packing, then clusters
            left = t_hard - time.perf_counter()
            if left < MIN_MOVE_S:
                return None
            won = packed_assignment(problem, options, inc, keep, t, min(DEEP_S, left))
            packed_wins += won
            if not won and tries + 1 < DEEP_TRIES:
                unsettled.append((bound, tries + 1, t))
            return won
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
        for _, out, into in ranked_moves(inc, point, free):
            t = inc.y.copy()
            t[list(out)] = False
            t[list(into)] = True
            key = np.packbits(t).tobytes()
            if key in done:
                continue
            done.add(key)
            res = attempt(t, SCREEN_S)
            if res is None:
                break
            screened += 1
            batch += 1
            quiet += 1
            if res.improved:
                improved = True
                break
            if not res.settled and res.bound < inc.value:
                if heuristic(t):
                    improved = True
                    break
                unsettled.append((res.bound, 0, t))
                quiet = 0
            if quiet >= SCREEN_IDLE and not unsettled:  # the best-ranked sets cannot win
                break
            if batch >= SCREEN_BATCH and unsettled:
                batch = 0
                deep += 1
                improved = go_deep()
                if improved is None or improved:
                    break
        while improved is False and unsettled and time.perf_counter() < t_hard:
            deep += 1
            improved = go_deep()
        if not improved:
            break
        wins += 1
        # the new centre's assignment is what one short MIP or the heuristic left (its set
        # unsettled): the cluster MIPs re-optimise it before the next round is screened
        # against it (Yang p6's best-known set: 28006 from an 8 s HiGHS run, 27990 after
        # 0.3 s of clusters; from the GAP heuristic 28175, and the next round then moved to
        # another set at 28172 instead)
        before = inc.value
        cluster_search(inc, min(RECLUSTER_S, t_hard - time.perf_counter()), max_idle=1)
        recluster_gain += before - inc.value
    return {"swap_rounds": rounds, "swap_screened": screened, "swap_deep": deep,
            "swap_wins": wins, "swap_heuristic_wins": heuristic_wins,
            "swap_packed_wins": packed_wins, "swap_recluster_gain": recluster_gain, "swap_gain": start - inc.value,
            "swap_s": time.perf_counter() - t0}
