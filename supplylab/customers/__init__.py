"""Customer-base models fitted to order histories: who is still a customer and what they are worth.

The CRM side of supplylab (docs/customers.md). These are statistical models of transaction
histories, independent of how the histories were made: the simulation exports each customer's
orders (``frequency / recency / T / monetary``), and the same functions read a real CRM export.

- :mod:`.history`: transactions -> one summary row per customer (the layout other CLV tools read).
- :mod:`.bgnbd`: BG/NBD (Fader, Hardie & Lee 2005): P(alive), expected purchases.
- :mod:`.gamma_gamma`: Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie 2013).
- :mod:`.value`: lifetime value per customer (discounted), value segments (ABC, RFM).
- :mod:`.warning`: the early-warning list and how well it separates real churners (ROC AUC).

What a simulation run reports about its customers (``Results.customers``) is built on these:

- :mod:`.analytics`: :class:`~.analytics.CustomerAnalytics`, the tables and files of a run;
- :mod:`.contracts`: each tier's and customer's contract terms judged;
- :mod:`.lifetime`: lifetime value per customer, value lost to churn;
- :mod:`.early_warning`: BG/NBD and Gamma-Gamma fitted to a run's order histories;
- :mod:`.comparison`: customer value paired across scenarios (``supplylab compare``);
- :mod:`.tables`: the terminal tables.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .bgnbd import BGNBD, fit_bgnbd
    from .gamma_gamma import GammaGamma, fit_gamma_gamma
    from .history import CustomerSummary, summarise_transactions
    from .value import abc_classes, clv_bgnbd_gg, rfm_scores
    from .warning import at_risk, roc_auc

#: public name -> submodule; imported on first use (the fits load scipy, ~1 s, which a short
#: run without churn never needs)
_LAZY = {"BGNBD": ".bgnbd", "fit_bgnbd": ".bgnbd", "GammaGamma": ".gamma_gamma",
         "fit_gamma_gamma": ".gamma_gamma", "CustomerSummary": ".history",
         "summarise_transactions": ".history", "abc_classes": ".value",
         "clv_bgnbd_gg": ".value", "rfm_scores": ".value", "at_risk": ".warning",
         "roc_auc": ".warning"}

__all__ = [
    "BGNBD", "CustomerSummary", "GammaGamma", "abc_classes", "at_risk", "clv_bgnbd_gg",
    "fit_bgnbd", "fit_gamma_gamma", "rfm_scores", "roc_auc", "summarise_transactions",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
