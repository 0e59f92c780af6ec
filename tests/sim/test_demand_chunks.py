"""The merged order stream: a 52-week chunk of all customers' orders, walked in pieces.

``demand.sample_chunk`` merges every customer's orders by time (ties in customer order) and
keeps each order's lines with it; ``Chunk.pieces`` hands them out as Python lists in pieces of
``PIECE_DAYS`` up to the horizon. Merging must neither lose nor reorder what a customer
ordered, and the pieces must be the chunk's orders before the horizon, each exactly once.
"""

from __future__ import annotations

import numpy as np
import yaml

from supplylab.scenario import build
from supplylab.sim.demand import CHUNK_DAYS, PIECE_DAYS, sample_chunk, sample_customer
from supplylab.sim.engine import Model

HERE = {"lat": 45.0, "lon": 7.0}


def scenario(days: float = 200.0):
    """Twelve customers with 1-4 lines of 6 products, Poisson and constant quantities."""
    data = {
        "name": "chunks", "simulation": {"horizon_days": days, "warmup_days": 0},
        "products": [{"id": f"P{i}", "price": 10, "unit_cost": 4, "importance": 3}
                     for i in range(6)],
        "suppliers": [{"id": "S", "location": HERE, "products": [f"P{i}" for i in range(6)],
                       "lead_time": 2}],
        "facilities": [{"id": "W", "location": HERE, "inventory": {
            "default": {"policy": "base_stock", "level": 500}}}],
        "customers": [{"id": f"C{c}", "tier": "standard", "location": HERE,
                       "orders_per_day": 0.5 + 0.3 * c,
                       "lines_per_order": {"dist": "poisson", "mean": 1.5} if c % 2 else 1,
                       "quantity": {"dist": "poisson", "mean": 3} if c % 3 else 2,
                       "product_mix": {f"P{i}": 1 + (i + c) % 4 for i in range(6)}}
                      for c in range(12)],
    }
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def _orders(times, cust, starts, prods, qtys) -> list[tuple]:
    """(customer, time, products, units) of every order of a stream."""
    return [(int(c), float(t), tuple(prods[a:b]), tuple(qtys[a:b]))
            for t, c, a, b in zip(times, cust, starts, starts[1:], strict=False)]


def test_the_merge_keeps_each_customers_orders_and_sorts_by_time():
    sc = scenario()
    m = Model(sc, 5, 0, 200.0)
    chunk = sample_chunk(m.demand, 0.0, CHUNK_DAYS)
    times = chunk.times
    assert np.all(np.diff(times) >= 0)
    merged = _orders(times.tolist(), chunk.customers.tolist(), chunk.line_start.tolist(),
                     chunk.line_product.tolist(), chunk.line_qty.tolist())
    m2 = Model(sc, 5, 0, 200.0)  # the same streams, sampled one customer at a time
    for cd in m2.demand:
        t, k, p, q = sample_customer(cd, 0.0, CHUNK_DAYS)
        starts = np.concatenate([[0], np.cumsum(k)]).tolist()
        own = _orders(t.tolist(), [cd.index] * len(t), starts, p.tolist(), q.tolist())
        assert [o for o in merged if o[0] == cd.index] == own
    assert any(len(o[2]) > 1 for o in merged)


def test_pieces_are_the_orders_before_the_end_each_once():
    sc = scenario()
    m = Model(sc, 5, 0, 200.0)
    chunk = sample_chunk(m.demand, 0.0, CHUNK_DAYS)
    end = 150.5
    got = []
    for k, (times, cust, starts, prods, qtys) in enumerate(chunk.pieces(0.0, PIECE_DAYS, end)):
        assert starts[0] == 0 and len(starts) == len(times) + 1 and starts[-1] == len(prods)
        assert all(k * PIECE_DAYS <= t < min((k + 1) * PIECE_DAYS, end) for t in times)
        got += _orders(times, cust, starts, prods, qtys)
    n = int(np.searchsorted(chunk.times, end))
    want = _orders(chunk.times[:n].tolist(), chunk.customers[:n].tolist(),
                   chunk.line_start[:n + 1].tolist(), chunk.line_product.tolist(),
                   chunk.line_qty.tolist())
    assert got == want and n < len(chunk.times)

