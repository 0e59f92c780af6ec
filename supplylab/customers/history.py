"""Order histories summarised per customer: repeat frequency, recency, age and mean spend.

The layout is the one customer-base models read (and the ``lifetimes`` package writes):

- ``frequency`` x: number of *repeat* purchase occasions (occasions after the first; purchases in
  the same time bucket count once);
- ``recency`` t_x: time from the first purchase to the last one (0 when x = 0);
- ``T``: time from the first purchase to the end of the observation window;
- ``monetary`` zbar: mean value of the repeat occasions (0 when x = 0).

Times are in the unit the caller chooses (``unit_days``: 7 gives weeks, as in the CDNOW papers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CustomerSummary:
    """Per-customer summary arrays, all of one length and in the order of ``ids``.

    ``frequency`` counts repeat occasions; ``recency`` and ``T`` are in units of ``unit_days``
    days; ``monetary`` is the mean value of the repeat occasions in currency units.
    """

    ids: list[str]
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary: np.ndarray
    unit_days: float

    def rows(self) -> list[dict[str, object]]:
        """One dict per customer: ``customer, frequency, recency, T, monetary`` (tidy rows)."""
        return [{"customer": c, "frequency": int(x), "recency": float(r), "T": float(t),
                 "monetary": float(m)}
                for c, x, r, t, m in zip(self.ids, self.frequency, self.recency, self.T,
                                         self.monetary, strict=True)]


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``values``, ties sharing their average rank (``scipy.stats.rankdata``
    with ``method="average"``, without importing scipy.stats, which is slow to load)."""
    v = np.asarray(values, dtype=float)
    order = np.argsort(v, kind="stable")
    sorted_v = v[order]
    starts = np.flatnonzero(np.concatenate([[True], sorted_v[1:] != sorted_v[:-1]]))
    ends = np.concatenate([starts[1:], [v.size]])
    mean_rank = (starts + ends + 1) / 2.0  # ranks starts+1 .. ends averaged
    ranks = np.empty(v.size)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def summarise_transactions(transactions: Iterable[tuple[str, float, float]], end_day: float,
                           unit_days: float = 1.0, bucket_days: float = 1.0) -> CustomerSummary:
    """Summarise ``(customer, day, value)`` transactions observed up to ``end_day`` (inclusive).

    Transactions in the same ``bucket_days``-wide bucket (counted from day 0) form one purchase
    occasion whose value is their sum; the first occasion of each customer is the acquisition and
    is excluded from ``frequency`` and ``monetary``, as in Fader, Hardie & Lee (2005).
    """
    occasions: dict[str, dict[int, float]] = {}
    for customer, day, value in transactions:
        if day > end_day:
            continue
        bucket = int(np.floor(day / bucket_days))
        per = occasions.setdefault(str(customer), {})
        per[bucket] = per.get(bucket, 0.0) + float(value)
    ids = sorted(occasions)
    n = len(ids)
    freq = np.zeros(n)
    rec = np.zeros(n)
    age = np.zeros(n)
    mon = np.zeros(n)
    for k, c in enumerate(ids):
        buckets = sorted(occasions[c])
        first = buckets[0] * bucket_days
        last = buckets[-1] * bucket_days
        freq[k] = len(buckets) - 1
        rec[k] = (last - first) / unit_days
        age[k] = (end_day - first) / unit_days
        if len(buckets) > 1:
            mon[k] = float(np.mean([occasions[c][b] for b in buckets[1:]]))
    return CustomerSummary(ids, freq, rec, age, mon, unit_days)
