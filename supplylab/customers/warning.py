"""The early warning: customers the transaction model thinks are slipping away, and how well
that guess separates the customers who really churned (known only to a simulation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .history import CustomerSummary, average_ranks

if TYPE_CHECKING:  # the model imports scipy, which roc_auc does not need
    from .bgnbd import BGNBD


def roc_auc(risk: np.ndarray, churned: np.ndarray) -> float:
    """Area under the ROC curve of ``risk`` (higher = more likely churned) for 0/1 ``churned``.

    The Mann-Whitney form: the probability that a random churner scores above a random stayer,
    ties counting one half. NaN when either class is empty.
    """
    risk = np.asarray(risk, dtype=float)
    y = np.asarray(churned, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = average_ranks(risk)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def at_risk(summary: CustomerSummary, model: BGNBD, horizon: float,
            value: np.ndarray | None = None, threshold: float = 0.5) -> list[dict[str, object]]:
    """Customers with P(alive) below ``threshold``, most value at risk first.

    Each row: ``customer, p_alive, expected_purchases`` (over ``horizon`` time units) and, when
    ``value`` (each customer's CLV, which already includes P(alive)) is given,
    ``clv`` and ``value_at_risk`` = CLV / P(alive) x (1 - P(alive)): the value the customer would
    bring if alive, times the probability that it is lost.
    """
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    x, t_x, T = summary.frequency, summary.recency, summary.T
    alive = model.p_alive(x, t_x, T)
    expected = model.conditional_expected_purchases(horizon, x, t_x, T)
    rows: list[dict[str, object]] = []
    for k, cid in enumerate(summary.ids):
        if alive[k] >= threshold:
            continue
        row: dict[str, object] = {"customer": cid, "p_alive": float(alive[k]),
                                  "expected_purchases": float(expected[k])}
        if value is not None:
            clv = float(value[k])
            row["clv"] = clv
            row["value_at_risk"] = clv / max(float(alive[k]), 1e-12) * (1.0 - float(alive[k]))
        rows.append(row)
    key = "value_at_risk" if value is not None else "p_alive"
    rows.sort(key=lambda r: (-r[key], r["customer"]) if value is not None
              else (r[key], r["customer"]))
    return rows
