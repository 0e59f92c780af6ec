"""The customer analytics of one replication as columns (numpy arrays and lists, no pandas).

:class:`~.analytics.CustomerAnalytics` computes everything here and makes its pandas tables
from these columns only when one is asked for, so the ``run --json`` document, which reads
the columns directly, needs no pandas (start-up: importing pandas costs about 0.2 CPU-s).

- :func:`history_columns`: one replication's order histories (``order_history.csv``);
- :func:`replication_columns`: its customers' rows -- value (:mod:`.lifetime`), segments (ABC
  on CLV, RFM on the order history), the early warning (:mod:`.early_warning`), the truth --
  and its row of the early-warning table;
- :func:`customer_means`: each customer's means over the replications, computed as pandas'
  ``groupby(...).mean()`` computes them (NaN left out, compensated sums), so the document and
  the table agree to the last digit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from .lifetime import VALUE_COLUMNS, customer_columns
from .value import abc_classes, rfm_scores
from .warning import roc_auc

#: Columns of the order-history export (order_history.csv); times in days.
HISTORY_COLUMNS = ["replication", "customer_id", "tier", "frequency", "recency", "T", "monetary",
                   "time_unit"]
#: The order-history columns the scores are computed from (in days, monetary in currency).
SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary")
#: Columns of the early warning's scores (NaN where it was not run or not fitted).
SCORE_COLUMNS = ("p_alive", "expected_purchases", "clv_predicted")
RFM_COLUMNS = ("R", "F", "M", "rfm")
#: Columns of the customers table (customers.csv): one row per replication x customer.
CUSTOMER_COLUMNS = [*VALUE_COLUMNS, "abc", *SUMMARY_COLUMNS, *SCORE_COLUMNS, *RFM_COLUMNS,
                    "value_at_risk", "at_risk"]
#: Columns of the per-replication early-warning table.
WARNING_COLUMNS = ["replication", "scored", "churned", "at_risk", "auc", "auc_recency", "r",
                   "alpha", "a", "b", "p", "q", "gamma"]
#: Columns averaged per customer over the replications (``churned`` and ``at_risk`` as the
#: share of replications).
MEAN_COLUMNS = ["churned", "failures", "clv", "clv_active", "clv_lost", "p_alive",
                "expected_purchases", "clv_predicted", "value_at_risk", "at_risk"]

#: name -> array, list or (``replication``) one number
Columns = dict[str, Any]


class ReplicationColumns(NamedTuple):
    """One replication's analytics: its customers' columns (:data:`CUSTOMER_COLUMNS`), its
    order histories (:data:`HISTORY_COLUMNS`; None without any), its early-warning row and
    the notes of its fit."""

    customers: Columns
    history: Columns | None
    warning: dict[str, Any]
    notes: list[str]


def history_columns(rep: Any, tier_of: Mapping[str, str]) -> Columns | None:
    """The replication's order histories of the known customers (``tier_of``); None when the
    replication has no history at all."""
    h = rep.history
    if h is None or not len(h.ids):
        return None
    keep = np.asarray([c in tier_of for c in h.ids], dtype=bool)
    ids = [c for c in h.ids if c in tier_of]
    return {"replication": int(rep.replication), "customer_id": ids,
            "tier": [tier_of[c] for c in ids], "frequency": h.frequency[keep].astype("int64"),
            "recency": h.recency[keep], "T": h.T[keep], "monetary": h.monetary[keep],
            "time_unit": "days"}


def replication_columns(rep: Any, *, horizon_days: float, warmup_days: float,
                        discount_rate: float, years: int, min_exposure_days: float,
                        threshold: Callable[[str], float], warn: bool,
                        warning_horizon_days: float) -> ReplicationColumns:
    """Every customer's row of one replication, and its early-warning row.

    The value columns come from :func:`.lifetime.customer_columns`; the customers with an
    order history get its summary and RFM scores; with ``warn`` the early warning is fitted
    to those histories (``warning_horizon_days`` is the window of ``expected_purchases``).
    A customer is at risk when its P(alive) is below ``threshold(tier)``; a customer not
    scored (NaN) never is.
    """
    cols = customer_columns(rep, horizon_days=horizon_days, warmup_days=warmup_days,
                            discount_rate=discount_rate, years=years,
                            min_exposure_days=min_exposure_days)
    n = len(cols["customer"])
    cols["abc"] = abc_classes(cols["clv_active"])
    hist = history_columns(rep, dict(zip(cols["customer"], cols["tier"], strict=True)))
    for col in (*SUMMARY_COLUMNS, *SCORE_COLUMNS):
        cols[col] = np.full(n, math.nan)
    for col in RFM_COLUMNS:
        cols[col] = np.zeros(n, dtype="int64")
    row: dict[str, Any] = {"replication": int(rep.replication), "scored": 0, "churned": 0,
                           "at_risk": 0, "auc": math.nan, "auc_recency": math.nan}
    notes: list[str] = []
    if hist is not None and hist["customer_id"]:
        index = {c: k for k, c in enumerate(cols["customer"])}
        at = np.asarray([index[c] for c in hist["customer_id"]], dtype=np.intp)
        summary = [np.asarray(hist[c], dtype=float) for c in SUMMARY_COLUMNS]
        rfm = rfm_scores(*summary)
        for col in RFM_COLUMNS:
            cols[col][at] = rfm[col]
        for col, values in zip(SUMMARY_COLUMNS, summary, strict=True):
            cols[col][at] = values
        if warn:
            notes = _warn(cols, at, list(hist["customer_id"]), summary, row,
                          horizon_days=warning_horizon_days, years=years,
                          discount_rate=discount_rate)
    cols["value_at_risk"] = cols["clv"] * (1.0 - cols["p_alive"])
    limit = np.asarray([threshold(t) for t in cols["tier"]], dtype=float)
    cols["at_risk"] = cols["p_alive"] < limit  # NaN (not scored) is never at risk
    row["at_risk"] = int(cols["at_risk"].sum())
    return ReplicationColumns({c: cols[c] for c in CUSTOMER_COLUMNS}, hist, row, notes)


def _warn(cols: Columns, at: np.ndarray, ids: list[str], summary: list[np.ndarray],
          row: dict[str, Any], *, horizon_days: float, years: int,
          discount_rate: float) -> list[str]:
    """The early warning of the customers with a history (rows ``at`` of ``cols``, filled in
    place), the replication's parameters and AUC in ``row``; returns the fit's notes."""
    from .early_warning import score
    from .history import CustomerSummary

    x, t_x, T, m = summary
    fit = score(CustomerSummary(ids, x, t_x, T, m, 1.0), horizon_days=horizon_days,
                years=years, discount_rate=discount_rate)
    rep = row["replication"]
    notes = [f"replication {rep}: {n}" for n in fit.notes]
    row.update(fit.parameters())
    # the predicted value on the gross-margin basis: spend x the customer's margin share
    rev = np.asarray(cols["revenue"], dtype=float)[at]
    gm = np.asarray(cols["gross_margin"], dtype=float)[at]
    overall = gm.sum() / rev.sum() if rev.sum() > 0 else 0.0
    share = np.divide(gm, rev, out=np.full(len(ids), overall), where=rev > 0)
    cols["p_alive"][at] = fit.p_alive
    cols["expected_purchases"][at] = fit.expected_purchases
    cols["clv_predicted"][at] = fit.clv_predicted * share
    if fit.model is None:
        return notes
    truth = np.asarray(cols["churned"], dtype=bool)[at]
    row.update(scored=len(ids), churned=int(truth.sum()),
               auc=roc_auc(1.0 - fit.p_alive, truth), auc_recency=roc_auc(T - t_x, truth))
    if truth.all() or not truth.any():
        notes.append(f"replication {rep}: AUC undefined (every scored customer churned, or "
                     "none did)")
    return notes


def customer_means(tables: Sequence[Columns]) -> Columns:
    """Each (customer, tier)'s means of :data:`MEAN_COLUMNS` over the replications'
    ``tables``, in first-appearance order, with ``abc`` from the mean CLV of the active ones.

    NaN values are left out (NaN when none is left) and the sums are compensated (Kahan), in
    row order, as pandas' ``groupby(..., sort=False).mean()`` compensates them: the numbers
    of the table built with it, to within a compensated sum's error (pandas 3.1 can end one
    unit of the last place apart, e.g. on 268435458.0, 805306373.5238221 and 0.9).
    """
    groups: dict[tuple[str, str], int] = {}
    seen: list[int] = []
    labels, turns = [], []
    for cols in tables:
        for key in zip(cols["customer"], cols["tier"], strict=True):
            g = groups.setdefault(key, len(groups))
            if g == len(seen):
                seen.append(0)
            labels.append(g)
            turns.append(seen[g])  # the how-manieth row of its group this is
            seen[g] += 1
    label = np.asarray(labels, dtype=np.intp)
    turn = np.asarray(turns, dtype=np.intp)
    out: Columns = {"customer": [k[0] for k in groups], "tier": [k[1] for k in groups]}
    for name in MEAN_COLUMNS:
        values = np.concatenate([np.asarray(c[name], dtype=float) for c in tables]) \
            if tables else np.zeros(0)
        total, carry = np.zeros(len(groups)), np.zeros(len(groups))
        count = np.zeros(len(groups), dtype="int64")
        for k in range(int(turn.max()) + 1 if turn.size else 0):
            rows = (turn == k) & ~np.isnan(values)
            g, v = label[rows], values[rows]
            y = v - carry[g]
            t = total[g] + y
            c = t - total[g] - y
            carry[g] = np.where(np.isfinite(c), c, 0.0)
            total[g] = t
            count[g] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = np.where(count > 0, total / count, math.nan)
    out["abc"] = abc_classes(out["clv_active"])
    return out
