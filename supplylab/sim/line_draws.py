"""The products of an order's lines: ``k`` distinct products per order by successive sampling.

Each line is a product not yet in the order, with probability proportional to its weight among
those. Drawing with replacement by the inverse CDF and skipping a product the order already
has is exactly that law, and costs about ``k`` uniform draws per order (not one random key per
product, as a Gumbel top-k does). An order that has not yet found ``k`` distinct products draws
more, continuing its own sequence. ``lines.py`` holds the law's inclusion probabilities.

``distinct_lines`` draws the lines of one customer's orders; ``distinct_lines_many`` those of
many customers at once (``demand.sample_chunk``): each customer's uniforms come from its own
stream, in the same order, so the products are the same; only the search for the first
distinct draws runs on all customers' rows together, which saves about 15 numpy calls a
customer.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

SMALL_BATCH = 16  # orders up to which ``distinct_lines`` works one order at a time
#: the lower-triangle masks by width (a few widths per run): earlier[j, i], draw i before j
_EARLIER: dict[int, np.ndarray] = {}


def first_draws(cum: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The first draws of the orders' lines: candidates (n, width), the products of
    ``width = k.max() + 2`` uniforms per order (cumulative mix weights ``cum``, all weights
    > 0)."""
    width = int(k.max()) + 2
    return cum.searchsorted(rng.random((len(k), width)) * cum[-1], side="right")


def distinct_lines(cum: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Product positions of ``k[i]`` distinct lines for each order ``i`` (flat, order by order,
    in the order drawn), given the cumulative mix weights ``cum`` (all weights > 0, ``k`` at
    most their number)."""
    n = len(k)
    width = int(k.max()) + 2
    total = cum[-1]
    draws = rng.random((n, width)) * total
    if n <= SMALL_BATCH:  # a few orders: the same arithmetic without array set-up
        return _distinct_lines_few(cum, k, draws, rng)
    return distinct_lines_many([(cum.searchsorted(draws, side="right"), k, cum, rng)])[0]


def distinct_lines_many(items: list[tuple[np.ndarray, np.ndarray, np.ndarray,
                                          np.random.Generator]]) -> list[np.ndarray]:
    """``distinct_lines`` of several customers from their first draws: each item is
    (candidates (n, width) from ``first_draws``, ``k`` (n,), cumulative weights, the
    customer's generator); the flat product positions of each item, in item order.

    Rows of the same width are searched together; an order whose first draws hold fewer than
    ``k`` distinct products continues with its customer's generator, item by item and row by
    row, as ``distinct_lines`` does."""
    out: list[np.ndarray | None] = [None] * len(items)
    by_width: dict[int, list[int]] = {}
    for i, (cand, *_rest) in enumerate(items):
        by_width.setdefault(cand.shape[1], []).append(i)
    for width, members in by_width.items():
        cand = np.concatenate([items[i][0] for i in members])
        k = np.concatenate([items[i][1] for i in members])
        earlier = _EARLIER.get(width)
        if earlier is None:
            earlier = _EARLIER[width] = np.tri(width, width, -1, dtype=bool)
        first = ~((cand[:, :, None] == cand[:, None, :]) & earlier).any(axis=2)
        got = first.cumsum(axis=1)
        take = first & (got <= k[:, None])
        starts = np.concatenate([[0], k.cumsum()])
        flat = np.empty(int(starts[-1]), dtype=cand.dtype)
        rows = np.nonzero(take)[0]
        flat[starts[rows] + got[take] - 1] = cand[take]
        row0 = np.cumsum([0] + [len(items[i][1]) for i in members])
        for r in np.flatnonzero(got[:, -1] < k).tolist():  # rare: the sequence goes on
            _, _, cum, rng = items[members[int(np.searchsorted(row0, r, side="right")) - 1]]
            total = cum[-1]
            have = list(dict.fromkeys(cand[r].tolist()))
            while len(have) < k[r]:
                for c in cum.searchsorted(rng.random(width) * total, side="right").tolist():
                    if c not in have and len(have) < k[r]:
                        have.append(c)
            flat[starts[r]:starts[r + 1]] = have
        for j, part in enumerate(np.split(flat, starts[row0[1:-1]])):
            out[members[j]] = part
    return out  # type: ignore[return-value]


def _distinct_lines_few(cum: np.ndarray, k: np.ndarray, draws: np.ndarray,
                        rng: np.random.Generator) -> np.ndarray:
    """``distinct_lines`` for a few orders, given its first ``draws`` (weights x uniforms):
    the same products from the same random numbers, one order at a time."""
    cl = cum.tolist()
    total = cl[-1]
    width = draws.shape[1]
    out: list[int] = []
    for row, kr in zip(draws.tolist(), k.tolist(), strict=True):
        have: list[int] = []
        for x in row:  # the first kr distinct products drawn (the later draws are unused)
            c = bisect_right(cl, x)
            if c not in have:
                have.append(c)
                if len(have) == kr:
                    break
        while len(have) < kr:  # rare: the sequence goes on, as in ``distinct_lines``
            for x in (rng.random(width) * total).tolist():
                c = bisect_right(cl, x)
                if c not in have and len(have) < kr:
                    have.append(c)
        out.extend(have)
    return np.asarray(out, dtype=np.intp)
