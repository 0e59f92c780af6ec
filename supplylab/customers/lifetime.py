"""Lifetime value of each simulated customer, and the value lost to churn.

The textbook simple CLV (e.g. Gupta & Lehmann 2003; the spec's ``clv_total``): average
transaction x yearly frequency x expected lifetime, discounted. On a gross-margin basis
(revenue less cost of goods of the delivered units), per customer i of tier k:

- ``avg_order_margin`` = gross margin / orders of the customer in the measured window;
- ``orders_per_year`` = orders / years the customer was measured as active (from the end of the
  warm-up, or its joining day, to its churn day or the horizon), at least ``min_exposure_days``
  so that a customer seen briefly is not extrapolated from a handful of days;
- ``lifetime_years`` = discounted expected lifetime ``sum_{y=0}^{Y-1} (r_k / (1 + d))^y`` with
  yearly retention ``r_k = exp(-h_k)``, ``h_k`` the churn hazard *observed* in tier k
  (customers who left / customer-years at risk over the whole run; the simulation knows who
  left), ``d`` the scenario's ``costs.discount_rate_per_year`` and ``Y`` = ``years`` (a finite
  horizon, so that a tier nobody left and a zero discount rate still give a finite value);
- ``clv`` = the product: what the customer is worth while it stays.

``clv_active`` is the ``clv`` of the customers still active at the horizon. A customer that
really churned (``CustomerStates``) brings no more; ``clv_lost`` values it at what it would
have been worth served well: its yearly value x ``lost_lifetime_years``, the discounted
lifetime at the tier's *base* hazard (customers who left for the base cause / customer-years;
``cause`` tells ``service`` from ``base``). Because the hazards are measured, worse service
shows up as shorter lifetimes, lower ``clv_active`` and more ``clv_lost``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # the table is built on demand; a terminal summary needs only the columns
    import pandas as pd

#: Per-customer value columns (one row per customer of a replication).
VALUE_COLUMNS = ["replication", "customer", "tier", "churned", "churned_day", "cause",
                 "failures", "orders", "revenue", "gross_margin", "exposure_years",
                 "avg_order_margin", "orders_per_year", "lifetime_years", "lost_lifetime_years",
                 "clv", "clv_active", "clv_lost"]


def discounted_lifetime(retention: float, discount_rate: float, years: int) -> float:
    """``sum_{y=0}^{years-1} (retention / (1 + discount_rate))^y``, in years (NaN if unknown)."""
    if not math.isfinite(retention):
        return math.nan
    q = retention / (1.0 + discount_rate)
    return float(years) if q == 1.0 else (1.0 - q**years) / (1.0 - q)


def customer_values(rep: Any, *, horizon_days: float, warmup_days: float,
                    discount_rate: float, years: int = 5,
                    min_exposure_days: float = 90.0) -> pd.DataFrame:
    """Every customer's lifetime value in one replication (columns :data:`VALUE_COLUMNS`):
    the table of :func:`customer_columns`."""
    import pandas as pd

    return pd.DataFrame(customer_columns(
        rep, horizon_days=horizon_days, warmup_days=warmup_days, discount_rate=discount_rate,
        years=years, min_exposure_days=min_exposure_days))[VALUE_COLUMNS]


def customer_columns(rep: Any, *, horizon_days: float, warmup_days: float,
                     discount_rate: float, years: int = 5,
                     min_exposure_days: float = 90.0) -> dict[str, Any]:
    """Every customer's lifetime value in one replication, as columns (name -> array, list or,
    for ``replication``, one number): the columns of :data:`VALUE_COLUMNS`.

    ``rep`` is a ``ReplicationResult`` with ``customers`` (the states) and ``by["customer"]``
    (orders, revenue, gross margin). A customer's optional ``joined_day`` (acquired during the
    run) starts its exposure; otherwise customers exist from day 0.
    """
    if years < 1 or discount_rate < 0 or min_exposure_days < 0:
        raise ValueError("years >= 1, discount_rate >= 0 and min_exposure_days >= 0")
    st = rep.customers
    n = len(st.ids)
    joined_day = getattr(st, "joined_day", None)
    joined = np.zeros(n) if joined_day is None else np.asarray(joined_day, dtype=float)
    joined = np.where(np.isnan(joined), 0.0, joined)
    churn_day = np.asarray(st.churned_day, dtype=float)
    churned = np.isfinite(churn_day) & (churn_day <= horizon_days)
    end = np.where(churned, churn_day, horizon_days)
    tiers = np.asarray(st.tiers, dtype=object)
    base = churned & (np.asarray(st.cause, dtype=object) == "base")
    lifetime, served_well = np.full(n, math.nan), np.full(n, math.nan)
    for tier in dict.fromkeys(st.tiers):
        sel = tiers == tier
        at_risk_years = float(np.clip(end[sel] - joined[sel], 0, None).sum()) / 365.0
        if at_risk_years > 0:
            hazard = float(churned[sel].sum()) / at_risk_years
            lifetime[sel] = discounted_lifetime(math.exp(-hazard), discount_rate, years)
            hazard = float(base[sel].sum()) / at_risk_years
            served_well[sel] = discounted_lifetime(math.exp(-hazard), discount_rate, years)
    window = max(horizon_days - warmup_days, 0.0)
    measured = np.clip(end - np.maximum(joined, warmup_days), 0, None)
    exposure = np.maximum(measured, min(min_exposure_days, window)) / 365.0
    by = rep.by.get("customer", {})
    orders = np.asarray([by.get(c, {}).get("orders", 0.0) for c in st.ids], dtype=float)
    revenue = np.asarray([by.get(c, {}).get("revenue", 0.0) for c in st.ids], dtype=float)
    margin = np.asarray([by.get(c, {}).get("gross_margin", 0.0) for c in st.ids], dtype=float)
    orders, revenue, margin = (np.nan_to_num(v) for v in (orders, revenue, margin))
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = np.where(orders > 0, margin / np.where(orders > 0, orders, 1.0), 0.0)
        per_year = np.where(exposure > 0, orders / np.where(exposure > 0, exposure, 1.0), 0.0)
    clv = np.nan_to_num(avg * per_year * lifetime)
    lost = np.nan_to_num(avg * per_year * served_well)
    return {
        "replication": int(rep.replication), "customer": list(st.ids), "tier": list(st.tiers),
        "churned": churned, "churned_day": np.where(churned, churn_day, math.nan),
        "cause": [c if ch else "" for c, ch in zip(st.cause, churned, strict=True)],
        "failures": np.asarray(st.failures, dtype="int64"), "orders": orders,
        "revenue": revenue, "gross_margin": margin, "exposure_years": exposure,
        "avg_order_margin": avg, "orders_per_year": per_year, "lifetime_years": lifetime,
        "lost_lifetime_years": served_well, "clv": clv, "clv_active": np.where(churned, 0.0, clv),
        "clv_lost": np.where(churned, lost, 0.0)}
