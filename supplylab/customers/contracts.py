"""Service contracts judged: did each tier, and each customer, get what its tier promised?

A tier's contract has up to three terms, read from the scenario's tier
(``supplylab/scenario/schema.py``):

- ``fill_rate`` at least ``target_fill_rate``;
- ``otif_rate`` at least ``target_otif_rate`` (a term only when the tier sets it);
- ``order_cycle_time_mean`` at most ``promised_lead_time_days`` (a term only when set).

The *margin* of a term is how far the achieved value is on the good side of the target:
``achieved - target`` for a rate (a share: 0.02 = 2 percentage points), ``target - achieved``
for the lead time (days); negative = missed by that much. Over several replications the margin
gets a 95% Student-t interval; the verdict says whether that interval clears the target:
``met`` / ``missed`` when it lies wholly on one side, ``met (interval spans target)`` /
``missed (interval spans target)`` by the mean when it straddles it (run more replications),
plain ``met`` / ``missed`` with one replication (no interval).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from supplylab.experiments.stats import clip_interval, t_interval

if TYPE_CHECKING:
    import pandas as pd


class ContractRow(NamedTuple):
    """One judged term (a row of the contracts table)."""

    scope: str
    key: str
    tier: str
    kpi: str
    target: float
    achieved: float
    margin: float
    margin_low: float
    margin_high: float
    n: int
    met: bool | None
    verdict: str


#: Columns of the contracts table (``CustomerAnalytics.contracts``, contracts.csv).
CONTRACT_COLUMNS = list(ContractRow._fields)


@dataclass(frozen=True)
class Term:
    """One contract term: ``kpi`` must be at least (or, ``at_most``, at most) ``target``."""

    kpi: str
    target: float
    at_most: bool = False

    def margin(self, achieved: float) -> float:
        """How far ``achieved`` is on the good side of the target (negative: missed)."""
        return self.target - achieved if self.at_most else achieved - self.target

    def margin_range(self) -> tuple[float, float]:
        """The values a margin can take: a rate lies in [0, 1], a lead time in [0, inf)."""
        if self.at_most:
            return (-math.inf, self.target)
        return (-self.target, 1.0 - self.target)


#: (KPI, tier field, at most?) of every possible term.
TERM_FIELDS = (("fill_rate", "target_fill_rate", False),
               ("otif_rate", "target_otif_rate", False),
               ("order_cycle_time_mean", "promised_lead_time_days", True))


def contract_terms(tiers: Mapping[str, Any]) -> dict[str, list[Term]]:
    """The terms of each tier's contract (tier name -> terms), from the scenario's tiers."""
    out: dict[str, list[Term]] = {}
    for name, tier in tiers.items():
        terms = []
        for kpi, attr, at_most in TERM_FIELDS:
            target = getattr(tier, attr, None)
            if target is not None and math.isfinite(float(target)):
                terms.append(Term(kpi, float(target), at_most))
        out[str(name)] = terms
    return out


def verdict(margins: Sequence[float], margin_range: tuple[float, float] = (-math.inf, math.inf)
            ) -> tuple[float, float, float, int, bool | None, str]:
    """(mean margin, interval low, high, n, met, verdict) of per-replication margins; the
    interval is kept inside ``margin_range``."""
    iv = clip_interval(t_interval(margins), *margin_range)
    if iv.n == 0:
        return math.nan, math.nan, math.nan, 0, None, "not measured"
    met = iv.mean >= 0
    word = "met" if met else "missed"
    if iv.n >= 2 and math.isfinite(iv.ci_low) and not iv.ci_low >= 0 and not iv.ci_high < 0:
        word += " (interval spans target)"
    return iv.mean, iv.ci_low, iv.ci_high, iv.n, met, word


def judge_contracts(replications: Sequence[Any], terms: Mapping[str, Sequence[Term]]
                    ) -> pd.DataFrame:
    """The rows of :func:`contract_rows` as a table (columns :data:`CONTRACT_COLUMNS`)."""
    import pandas as pd

    rows = contract_rows(replications, terms)
    return pd.DataFrame(rows, columns=CONTRACT_COLUMNS).astype({"n": "int64"})


def contract_rows(replications: Sequence[Any], terms: Mapping[str, Sequence[Term]]
                  ) -> list[ContractRow]:
    """Judge every tier's and every customer's contract over the replications.

    Reads ``by["tier"]`` and ``by["customer"]`` of each replication (a customer's tier from its
    ``customers`` states); a replication in which a tier or customer has no value for a KPI
    (no orders) does not count for it. One row per (scope, key, term), columns
    :data:`CONTRACT_COLUMNS`; ``achieved`` is the mean over the replications that measured it.
    """
    rows: list[ContractRow] = []
    tier_of: dict[str, str] = {}
    for r in replications:
        states = getattr(r, "customers", None)
        if states is not None:
            tier_of.update(zip(states.ids, states.tiers, strict=False))
    customers = list(dict.fromkeys(c for r in replications for c in r.by.get("customer", {})))
    scopes = [("tier", t, t) for t in terms] + [("customer", c, tier_of[c]) for c in customers
                                               if c in tier_of]
    for scope, key, tier in scopes:
        for term in terms.get(tier, ()):
            values = [r.by.get(scope, {}).get(key, {}).get(term.kpi, math.nan)
                      for r in replications]
            values = [float(v) for v in values if v is not None and math.isfinite(float(v))]
            margins = [term.margin(v) for v in values]
            mean, low, high, n, met, word = verdict(margins, term.margin_range())
            achieved = sum(values) / len(values) if values else math.nan
            rows.append(ContractRow(scope, key, tier, term.kpi, term.target, achieved, mean, low,
                                    high, n, met, word))
    return rows
