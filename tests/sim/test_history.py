"""The order history the engine keeps per customer equals the CRM summary of its orders."""

from __future__ import annotations

import csv

import numpy as np

from supplylab.customers.history import summarise_transactions
from supplylab.sim.eventlog import write_event_log

from .test_features import base, sc

A = {"lat": 45.0, "lon": 7.0}


def test_history_matches_the_summary_of_the_logged_orders(tmp_path):
    data = base(customers=[
        {"id": "C1", "tier": "standard", "location": A, "orders_per_day": 0.7,
         "product_mix": {"P": 1}, "quantity": {"dist": "poisson", "mean": 2}},
        {"id": "C2", "tier": "standard", "location": A, "orders_per_day": 3,
         "product_mix": {"P": 1}},
        {"id": "C3", "tier": "standard", "location": A, "orders_per_day": 0.05,
         "product_mix": {"P": 1}}])
    path = tmp_path / "events.csv"
    r = write_event_log(sc(data), 4, 0, path)
    with path.open(encoding="utf-8") as fh:
        rows = [row for row in csv.DictReader(fh) if row["event"] == "demand"]
    # each order line: (customer, time, units x price 10)
    want = summarise_transactions(((x["customer"], float(x["time_days"]),
                                    float(x["units"]) * 10) for x in rows), end_day=200)
    got = r.history
    assert got.ids == want.ids
    assert got.frequency.sum() > 100
    for name in ("frequency", "recency", "T", "monetary"):
        assert np.allclose(getattr(got, name), getattr(want, name)), name


def test_history_is_in_weeks_on_request():
    from supplylab.sim.engine import Model

    m = Model(sc(base()), 1, 0, 200.0)
    m.run()
    days = m.history.summary([c.id for c in m.customers], 200.0)
    weeks = m.history.summary([c.id for c in m.customers], 200.0, unit_days=7)
    assert np.allclose(weeks.T, days.T / 7)
    assert np.array_equal(weeks.frequency, days.frequency)
