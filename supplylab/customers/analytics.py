"""What a run tells about its customers: contracts judged, lifetime value, the early warning.

:class:`CustomerAnalytics` reads the replications of one scenario (each one's order histories,
per-customer KPIs and the customers' true fates) and builds the tables of docs/customers.md:

- :attr:`~CustomerAnalytics.customers`: one row per replication x customer -- value
  (:mod:`.lifetime`), segments (ABC on CLV, RFM on the order history), the early warning
  (:mod:`.early_warning`) and the truth;
- :attr:`~CustomerAnalytics.contracts`: each tier's and customer's contract judged
  (:mod:`.contracts`);
- :attr:`~CustomerAnalytics.at_risk`: the early-warning list;
- :attr:`~CustomerAnalytics.warning`: per replication, the fitted parameters and how well the
  warning separates the customers who really churned (ROC AUC);
- :attr:`~CustomerAnalytics.history`: the order histories in the layout CLV tools read.

``Results.customers`` (``supplylab run``) builds it with the defaults; build one directly for
other settings.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from supplylab.experiments.stats import clip_interval, nan_mean, t_interval

from .columns import (
    CUSTOMER_COLUMNS,
    HISTORY_COLUMNS,
    WARNING_COLUMNS,
    Columns,
    ReplicationColumns,
    customer_means,
    replication_columns,
)
from .contracts import (
    CONTRACT_COLUMNS,
    ContractRow,
    contract_rows,
    contract_terms,
    judge_contracts,
)
from .lifetime import customer_columns

#: Columns of the at-risk list (at_risk.csv), most value at risk first within a replication.
AT_RISK_COLUMNS = ["replication", "customer", "tier", "p_alive", "expected_purchases",
                   "failures", "clv", "value_at_risk", "churned"]
if TYPE_CHECKING:  # the tables are built on demand: a terminal summary needs no pandas
    import pandas as pd

#: Totals of the value table (per tier and for all customers), per replication.
VALUE_METRICS = ["customers", "churned", "churned_service", "clv_active", "clv_lost",
                 "clv_lost_service", "lifetime_years", "at_risk", "value_at_risk"]


class ValueTotal(NamedTuple):
    """One total of one replication (a row of :attr:`CustomerAnalytics.value`)."""

    replication: int
    tier: str
    metric: str
    value: float


class ValueSummary(NamedTuple):
    """Mean and 95% interval of one total (a row of :meth:`CustomerAnalytics.value_summary`)."""

    tier: str
    metric: str
    mean: float
    ci_low: float
    ci_high: float
    half_width: float
    n: int


def _nansum(values: Any) -> float:
    """Sum leaving out NaN, as a pandas column's ``sum()`` adds (NaN as 0, same order)."""
    a = np.asarray(values, dtype=float)
    return float(np.where(np.isnan(a), 0.0, a).sum())


def _num(x: Any) -> Any:
    """JSON has no NaN: undefined numbers become null; numpy scalars become Python ones."""
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.str_):
        return str(x)
    return x


#: The range each total lies in (intervals are kept inside it, as the KPIs' are).
METRIC_RANGES = {"clv_active": (-math.inf, math.inf), "clv_lost": (-math.inf, math.inf),
                 "clv_lost_service": (-math.inf, math.inf), "auc": (0.0, 1.0),
                 "auc_recency": (0.0, 1.0)}


def metric_interval(values: Sequence[float], metric: str) -> Any:
    """Student-t interval over replications, kept inside the metric's range (default >= 0)."""
    return clip_interval(t_interval(values), *METRIC_RANGES.get(metric, (0.0, math.inf)))


def _interval_doc(values: Sequence[float], metric: str) -> dict[str, Any]:
    iv = metric_interval(values, metric)
    return {"mean": _num(iv.mean), "ci95": [_num(iv.ci_low), _num(iv.ci_high)], "n": iv.n,
            "values": [_num(float(v)) for v in values]}


def _rows(cols: Columns, names: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """The rows of one replication's columns ``names`` (plain Python values); a single value
    (the replication, the time unit) is every row's."""
    n = len(cols[names[1]])
    values = [v.tolist() if isinstance(v, np.ndarray) else v if isinstance(v, list) else [v] * n
              for v in (cols[c] for c in names)]
    return zip(*values, strict=True)


def _history_frame(cols: Columns | None) -> pd.DataFrame:
    """One replication's order histories as a table (:data:`HISTORY_COLUMNS`)."""
    import pandas as pd

    if cols is None:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    return pd.DataFrame(cols, columns=HISTORY_COLUMNS)


class CustomerAnalytics:
    """Customer analytics of the replications of one scenario (see the module docstring).

    ``tiers`` are the scenario's tiers (contract targets, ``churn.at_risk_threshold``);
    ``discount_rate`` is yearly; ``years`` the CLV horizon; ``min_exposure_days`` the shortest
    exposure a customer's yearly frequency is measured over (:mod:`.lifetime`).
    """

    def __init__(self, replications: Sequence[Any], tiers: Mapping[str, Any], *,
                 horizon_days: float, warmup_days: float, discount_rate: float,
                 years: int = 5, min_exposure_days: float = 90.0,
                 warning_horizon_days: float = 365.0) -> None:
        self.replications = [r for r in replications if getattr(r, "customers", None) is not None]
        self.tiers = dict(tiers)
        self.horizon_days = float(horizon_days)
        self.warmup_days = float(warmup_days)
        self.discount_rate = float(discount_rate)
        self.years = int(years)
        self.min_exposure_days = float(min_exposure_days)
        self.warning_horizon_days = float(warning_horizon_days)
        self.notes: list[str] = []
        self.fitted = False
        self._built = False
        self._columns: list[ReplicationColumns] = []
        self._customers: pd.DataFrame | None = None
        self._history: pd.DataFrame | None = None
        self._warning: pd.DataFrame | None = None
        self._means: Columns | None = None

    def _tables(self) -> CustomerAnalytics:
        """Compute the columns (without the early warning) if not yet done."""
        if not self._built:
            self._build(fit=False)
        return self

    def fit(self) -> CustomerAnalytics:
        """Run the early warning (BG/NBD and Gamma-Gamma per replication) if not yet done.

        Contracts, values, segments and histories need only numpy; the fits load scipy, so
        they run when a table that needs them is first asked for (``customers``, ``warning``,
        ``at_risk``, the JSON document, the files) -- not for the terminal summary alone.
        """
        if not self.fitted:
            self._build(fit=True)
            self.fitted = True
        return self

    @property
    def history(self) -> pd.DataFrame:
        """The order histories (:data:`HISTORY_COLUMNS`), in the layout CLV tools read."""
        self._tables()
        if self._history is None:
            import pandas as pd

            frames = [_history_frame(r.history) for r in self._columns]
            self._history = (pd.concat(frames, ignore_index=True) if frames
                             else pd.DataFrame(columns=HISTORY_COLUMNS))
        return self._history

    @property
    def customers(self) -> pd.DataFrame:
        """One row per replication x customer: value, segments, early warning, the truth
        (:data:`CUSTOMER_COLUMNS`)."""
        self.fit()
        if self._customers is None:
            import pandas as pd

            frames = [pd.DataFrame(r.customers, columns=CUSTOMER_COLUMNS)
                      for r in self._columns]
            self._customers = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return self._customers

    @property
    def warning(self) -> pd.DataFrame:
        """Per replication: the fitted parameters and the AUC (:data:`WARNING_COLUMNS`)."""
        self.fit()
        if self._warning is None:
            import pandas as pd

            self._warning = pd.DataFrame(self.warning_rows(), columns=WARNING_COLUMNS)
        return self._warning

    def warning_rows(self) -> list[dict[str, Any]]:
        """The rows of :attr:`warning` as dicts (no pandas); a parameter not fitted is None
        or missing."""
        return [r.warning for r in self.fit()._columns]

    @classmethod
    def from_results(cls, results: Any, scenario: Any, **options: Any) -> CustomerAnalytics:
        """Analytics of a :class:`~supplylab.experiments.results.Results` of ``scenario``."""
        sim = scenario.simulation
        horizon = results.horizon_days if results.horizon_days is not None else sim.horizon_days
        warmup = results.warmup_days if results.warmup_days is not None else sim.warmup_days
        return cls(results.replications, scenario.tiers, horizon_days=horizon,
                   warmup_days=min(float(warmup), float(horizon)),
                   discount_rate=scenario.costs.discount_rate_per_year, **options)

    # ------------------------------------------------------------------ building
    def _threshold(self, tier: str) -> float:
        """P(alive) below which a customer of ``tier`` is at risk: 1 - at_risk_threshold."""
        churn = getattr(self.tiers.get(tier), "churn", None)
        return 1.0 - float(getattr(churn, "at_risk_threshold", 0.5))

    def _build(self, fit: bool) -> None:
        warn = fit and self.churn_possible
        self._columns = [
            replication_columns(rep, horizon_days=self.horizon_days, warmup_days=self.warmup_days,
                                discount_rate=self.discount_rate, years=self.years,
                                min_exposure_days=self.min_exposure_days,
                                threshold=self._threshold, warn=warn,
                                warning_horizon_days=self.warning_horizon_days)
            for rep in self.replications]
        self._customers = self._history = self._warning = self._means = None
        notes = [n for r in self._columns for n in r.notes]
        if fit and self.replications and not self.churn_possible:
            notes.append("early warning not run: no tier can churn and nobody left")
        self.notes = list(dict.fromkeys(notes))
        self._built = True

    @cached_property
    def churn_possible(self) -> bool:
        """Whether a customer can leave: a tier has a churn rate, or someone did leave. Without
        churn the early warning is not run (nobody can slip away, every alarm would be false;
        and a short run then needs no scipy)."""
        for tier in self.tiers.values():
            churn = getattr(tier, "churn", None)
            if any(float(getattr(churn, f, 0) or 0) > 0 for f in ("base_rate_per_year",
                                                                  "per_failure")):
                return True
        return any(d == d for r in self.replications for d in r.customers.churned_day)

    # ------------------------------------------------------------------ tables
    @cached_property
    def contracts(self) -> pd.DataFrame:
        """Each tier's and customer's contract terms judged (:mod:`.contracts`)."""
        return judge_contracts(self.replications, contract_terms(self.tiers))

    @cached_property
    def contract_rows(self) -> list[ContractRow]:
        """The rows of :attr:`contracts` as plain tuples (no pandas)."""
        return contract_rows(self.replications, contract_terms(self.tiers))

    def _has_rows(self) -> bool:
        """Whether any replication has a customer row."""
        return any(len(r.customers["customer"]) for r in self.fit()._columns)

    def at_risk_rows(self) -> list[dict[str, Any]]:
        """The rows of :attr:`at_risk` as dicts of :data:`AT_RISK_COLUMNS` (no pandas): the
        customers at risk of each replication, most value at risk first."""
        rows = []
        for r in self.fit()._columns:
            cols = r.customers
            for k in np.flatnonzero(cols["at_risk"]):
                rows.append({c: cols[c] if c == "replication" else cols[c][k]
                             for c in AT_RISK_COLUMNS})
        rows.sort(key=lambda row: (row["replication"], -row["value_at_risk"], row["customer"]))
        return rows

    @property
    def at_risk(self) -> pd.DataFrame:
        """The at-risk customers of each replication, most value at risk first."""
        import pandas as pd

        if self.customers.empty:
            return pd.DataFrame(columns=AT_RISK_COLUMNS)
        types = self.customers.dtypes[AT_RISK_COLUMNS].to_dict()
        return pd.DataFrame(self.at_risk_rows(), columns=AT_RISK_COLUMNS).astype(types)

    def _totals(self, cols: Mapping[str, Any], rows: np.ndarray) -> dict[str, float]:
        """The totals of the customers ``rows`` (a mask) of one replication's columns."""
        service = (np.asarray(cols["cause"], dtype=object) == "service")[rows]
        clv_lost = np.asarray(cols["clv_lost"], dtype=float)[rows]
        out = {"customers": float(rows.sum()),
               "churned": float(np.asarray(cols["churned"])[rows].sum()),
               "churned_service": float(service.sum()),
               "clv_active": _nansum(np.asarray(cols["clv_active"], dtype=float)[rows]),
               "clv_lost": _nansum(clv_lost), "clv_lost_service": _nansum(clv_lost[service]),
               "lifetime_years": nan_mean(np.asarray(cols["lifetime_years"], dtype=float)[rows])}
        if self.fitted:
            at_risk = np.asarray(cols["at_risk"], dtype=bool)[rows]
            out["at_risk"] = float(at_risk.sum())
            out["value_at_risk"] = _nansum(
                np.asarray(cols["value_at_risk"], dtype=float)[rows][at_risk])
        return out

    def _value_columns(self) -> list[tuple[int, Mapping[str, Any]]]:
        """(replication, its customers' columns) of the replications that have customers, in
        replication order: the fitted table's, else the values' (no pandas needed)."""
        if self.fitted:
            return sorted(((int(r.customers["replication"]), r.customers) for r in self._columns
                           if len(r.customers["customer"])), key=lambda pair: pair[0])
        out = []
        for rep in sorted(self.replications, key=lambda r: int(r.replication)):
            cols = customer_columns(rep, horizon_days=self.horizon_days,
                                    warmup_days=self.warmup_days,
                                    discount_rate=self.discount_rate, years=self.years,
                                    min_exposure_days=self.min_exposure_days)
            if len(cols["customer"]):
                out.append((int(rep.replication), cols))
        return out

    def value_rows(self) -> list[ValueTotal]:
        """The rows of :attr:`value` as plain tuples (no pandas)."""
        rows: list[ValueTotal] = []
        for rep, cols in self._value_columns():
            tiers = np.asarray(cols["tier"], dtype=object)
            groups = [("all", np.ones(len(tiers), dtype=bool))]
            groups += [(t, tiers == t) for t in self.tiers]
            for tier, mask in groups:
                for metric, v in self._totals(cols, mask).items():
                    rows.append(ValueTotal(rep, tier, metric, v))
        return rows

    @property
    def value(self) -> pd.DataFrame:
        """Per replication, the totals of :data:`VALUE_METRICS` per tier and for ``all``:
        columns ``replication, tier, metric, value``; ``lifetime_years`` is the tier's
        discounted expected lifetime (the customers' mean for ``all``); ``at_risk`` and
        ``value_at_risk`` only once the early warning has run (:meth:`fit`)."""
        import pandas as pd

        return pd.DataFrame(self.value_rows(), columns=list(ValueTotal._fields))

    def value_summary_rows(self) -> list[ValueSummary]:
        """The rows of :meth:`value_summary` as plain tuples (no pandas)."""
        groups: dict[tuple[str, str], list[float]] = {}
        for r in self.value_rows():
            groups.setdefault((r.tier, r.metric), []).append(r.value)
        out = []
        for (tier, metric), values in groups.items():
            iv = metric_interval(values, metric)
            out.append(ValueSummary(tier, metric, iv.mean, iv.ci_low, iv.ci_high, iv.half_width,
                                    iv.n))
        return out

    def value_summary(self) -> pd.DataFrame:
        """Mean and 95% interval over the replications of each total: ``tier, metric, mean,
        ci_low, ci_high, half_width, n``."""
        import pandas as pd

        return pd.DataFrame(self.value_summary_rows(), columns=list(ValueSummary._fields))

    def per_customer_columns(self) -> dict[str, Any]:
        """The columns of :meth:`per_customer` (name -> list or array; no pandas)."""
        self.fit()
        if self._means is None:
            self._means = customer_means([r.customers for r in self._columns])
        return self._means

    def per_customer(self) -> pd.DataFrame:
        """Each customer's means over the replications (``churned`` and ``at_risk`` become
        the share of replications), with ``abc`` from the mean CLV of the active ones."""
        import pandas as pd

        if self.customers.empty:
            return pd.DataFrame()
        return pd.DataFrame(self.per_customer_columns())

    # ------------------------------------------------------------------ outputs
    def to_document(self) -> dict[str, Any]:
        """The ``customers`` section of the ``run --json`` document (docs/customers.md)."""
        self.fit()
        contracts: dict[str, Any] = {"tier": {}, "customer": {}}
        for r in self.contract_rows:
            contracts[r.scope].setdefault(r.key, {})[r.kpi] = {
                "target": _num(r.target), "achieved": _num(r.achieved), "margin": _num(r.margin),
                "margin_ci95": [_num(r.margin_low), _num(r.margin_high)], "n": _num(r.n),
                "met": None if r.met is None or r.met != r.met else bool(r.met),
                "verdict": r.verdict}
        value: dict[str, Any] = {}
        for v in self.value_summary_rows():
            value.setdefault(v.tier, {})[v.metric] = {
                "mean": _num(v.mean), "ci95": [_num(v.ci_low), _num(v.ci_high)]}
        fits = self.warning_rows()
        warning = {k: _interval_doc([w[k] for w in fits], k)
                   for k in ("auc", "auc_recency", "at_risk")}
        warning["fits"] = [{k: _num(w.get(k)) for k in WARNING_COLUMNS} for w in fits]
        per: dict[str, Any] = {}
        if self._has_rows():
            means = self.per_customer_columns()
            names = [c for c in means if c != "customer"]
            for k, customer in enumerate(means["customer"]):
                per[customer] = {c: _num(means[c][k]) for c in names}
        at_risk = [{k: _num(v) for k, v in row.items()} for row in self.at_risk_rows()]
        return {"basis": "gross margin", "time_unit": "days", "clv_years": self.years,
                "discount_rate_per_year": self.discount_rate,
                "replications": len(self.replications), "notes": self.notes,
                "contracts": contracts, "value": value, "warning": warning,
                "per_customer": per, "at_risk": at_risk}

    def write(self, out_dir: str | Path) -> None:
        """Write customers.csv, order_history.csv, at_risk.csv, contracts.csv and
        customer_value.csv into ``out_dir`` (atomically; text cells made spreadsheet-safe):
        the tables' rows, written from the columns without pandas."""
        from supplylab.experiments import _io

        self.fit()
        out = Path(out_dir)
        _io.write_rows(out / "customers.csv", CUSTOMER_COLUMNS,
                       (row for r in self._columns for row in _rows(r.customers, CUSTOMER_COLUMNS)))
        self.write_history(out / "order_history.csv")
        _io.write_rows(out / "at_risk.csv", AT_RISK_COLUMNS,
                       ([row[c] for c in AT_RISK_COLUMNS] for row in self.at_risk_rows()))
        _io.write_rows(out / "contracts.csv", CONTRACT_COLUMNS, self.contract_rows)
        _io.write_rows(out / "customer_value.csv", list(ValueSummary._fields),
                       self.value_summary_rows())

    def write_history(self, path: str | Path) -> None:
        """The order histories as CSV (:data:`HISTORY_COLUMNS`, times in days)."""
        from supplylab.experiments import _io

        rows = (row for r in self._tables()._columns if r.history is not None
                for row in _rows(r.history, HISTORY_COLUMNS))
        _io.write_rows(Path(path), HISTORY_COLUMNS, rows)

    def print_tables(self, console: Any = None) -> None:
        """Contracts, value and the early warning as terminal tables (rich)."""
        from .tables import print_customer_tables

        print_customer_tables(self, console)
