"""The simulated order history of every customer, kept as the summary CRM models read.

Per customer, in O(1) memory whatever the horizon: the first and the last purchase occasion
(orders placed on one day form one occasion, days counted from day 0), the number of occasions
and the value of the repeat ones. ``summary()`` turns them into the ``frequency / recency / T /
monetary`` layout of :mod:`supplylab.customers.history` (Fader, Hardie & Lee 2005), identical to
``summarise_transactions`` over the same orders with ``bucket_days = 1``. An order's value is
what the customer pays: units x price x the tier's margin multiplier, less a running
promotion's discount. Orders are recorded from the end of the warm-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from supplylab.customers.history import CustomerSummary


class OrderHistory:
    """Purchase occasions per customer (index order of the model's customers)."""

    __slots__ = ("first", "last", "value", "occasions", "repeat_value")

    def __init__(self, n_customers: int) -> None:
        self.first = [-1] * n_customers  # day of the first occasion (-1: none yet)
        self.last = [-1] * n_customers  # day of the current (last) occasion
        self.value = [0.0] * n_customers  # value of the current occasion
        self.occasions = [0] * n_customers
        self.repeat_value = [0.0] * n_customers  # summed value of closed repeat occasions

    def record(self, ci: int, now: float, value: float) -> None:
        """An order of customer ``ci`` placed at ``now`` (days) worth ``value``."""
        day = int(now)
        if day == self.last[ci]:
            self.value[ci] += value
            return
        if self.occasions[ci] > 1:
            self.repeat_value[ci] += self.value[ci]
        elif self.occasions[ci] == 0:
            self.first[ci] = day
        self.occasions[ci] += 1
        self.last[ci] = day
        self.value[ci] = value

    def summary(self, ids: list[str], end_day: float, unit_days: float = 1.0) -> CustomerSummary:
        """``frequency, recency, T, monetary`` of every customer that ordered, ids sorted;
        times in units of ``unit_days`` days (7: weeks)."""
        from supplylab.customers.history import CustomerSummary

        rows = sorted((ids[ci], ci) for ci in range(len(ids)) if self.occasions[ci] > 0)
        n = len(rows)
        freq, rec, age, mon = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
        for k, (_, ci) in enumerate(rows):
            x = self.occasions[ci] - 1
            freq[k] = x
            rec[k] = (self.last[ci] - self.first[ci]) / unit_days
            age[k] = (end_day - self.first[ci]) / unit_days
            if x > 0:
                # the open occasion is a repeat one unless it is the first
                mon[k] = (self.repeat_value[ci] + self.value[ci]) / x
        return CustomerSummary([c for c, _ in rows], freq, rec, age, mon, unit_days)
