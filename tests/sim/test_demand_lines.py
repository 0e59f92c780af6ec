"""The line sampler of form (a) orders: distinct products by successive sampling.

``demand.distinct_lines`` draws with replacement and skips products the order already has.
Its inclusion probabilities must be the exact ones of successive sampling (``lines.inclusion``,
checked by hand in test_promotions.py), the first line must follow the weight shares, and the
lines of an order must be distinct.
"""

from __future__ import annotations

import numpy as np

from supplylab.sim.demand import distinct_lines
from supplylab.sim.lines import inclusion

W = np.array([0.55, 0.2, 0.12, 0.08, 0.04, 0.01])  # concentrated: the first product repeats


def test_lines_are_distinct_with_the_exact_inclusion_probabilities():
    rng = np.random.default_rng(7)
    n = 200_000
    k = rng.integers(1, 5, n)  # 1 to 4 lines, uniformly
    flat = distinct_lines(np.cumsum(W), k, rng)
    assert len(flat) == k.sum()
    starts = np.concatenate([[0], np.cumsum(k)])
    order_of = np.repeat(np.arange(n), k)
    # distinct within each order: (order, product) pairs never repeat
    assert len(np.unique(order_of * len(W) + flat)) == len(flat)
    kpmf = np.array([0.0, 0.25, 0.25, 0.25, 0.25, 0.0, 0.0])
    expected = inclusion(W / W.sum(), kpmf)  # P(product i is a line of an order)
    seen = np.bincount(flat, minlength=len(W)) / n
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(seen - expected) < 4.5 * se)
    first = np.bincount(flat[starts[:-1]], minlength=len(W)) / n
    se1 = np.sqrt(W * (1 - W) / n)
    assert np.all(np.abs(first - W) < 4.5 * se1)


def test_every_product_when_an_order_takes_them_all():
    rng = np.random.default_rng(3)
    k = np.full(500, len(W))
    flat = distinct_lines(np.cumsum(W), k, rng).reshape(500, len(W))
    assert (np.sort(flat, axis=1) == np.arange(len(W))).all()


def test_a_few_orders_one_at_a_time_give_the_same_lines(monkeypatch):
    """Up to ``SMALL_BATCH`` orders the lines are found order by order: the same products
    from the same random numbers as the array version (including orders that draw more)."""
    import supplylab.sim.line_draws as D

    for seed in range(40):
        k = np.random.default_rng(seed).integers(1, len(W) + 1, D.SMALL_BATCH)
        few = distinct_lines(np.cumsum(W), k, np.random.default_rng(100 + seed))
        monkeypatch.setattr(D, "SMALL_BATCH", 0)
        arrays = distinct_lines(np.cumsum(W), k, np.random.default_rng(100 + seed))
        monkeypatch.undo()
        assert few.tolist() == arrays.tolist()


def test_many_customers_at_once_give_each_customer_its_own_lines():
    """``distinct_lines_many`` (``sample_chunk``: every customer's first draws searched
    together) gives each customer the products ``distinct_lines`` gives it alone, from its
    own stream, for customers of different mixes, order counts and widths, including orders
    whose first draws hold too few distinct products (k close to the number of products)."""
    from supplylab.sim.line_draws import distinct_lines_many, first_draws

    mixes = [np.cumsum(W), np.cumsum(np.arange(1.0, 9.0)), np.cumsum([5.0, 1.0, 1.0, 1.0])]
    alone, items, rare = [], [], 0
    for c in range(30):
        cum = mixes[c % 3]
        k = np.random.default_rng(c).integers(1, len(cum) + 1, 1 + 7 * c % 41)
        alone.append(distinct_lines(cum, k, np.random.default_rng(500 + c)))
        rng = np.random.default_rng(500 + c)
        cand = first_draws(cum, k, rng)
        rare += sum(len(set(row)) < kr
                    for row, kr in zip(cand.tolist(), k.tolist(), strict=True))
        items.append((cand, k, cum, rng))
    many = distinct_lines_many(items)
    assert rare > 10  # orders that go on drawing were among them
    assert [a.tolist() for a in alone] == [b.tolist() for b in many]
