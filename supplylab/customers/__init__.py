"""Customer-base models fitted to order histories: who is still a customer and what they are worth.

The CRM side of supplylab (docs/customers.md). These are statistical models of transaction
histories, independent of how the histories were made: the simulation exports each customer's
orders (``frequency / recency / T / monetary``), and the same functions read a real CRM export.

- :mod:`.history`: transactions -> one summary row per customer (the layout other CLV tools read).
- :mod:`.bgnbd`: BG/NBD (Fader, Hardie & Lee 2005): P(alive), expected purchases.
- :mod:`.gamma_gamma`: Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie 2013).
- :mod:`.value`: lifetime value per customer (discounted), value segments (ABC, RFM).
- :mod:`.warning`: the early-warning list and how well it separates real churners (ROC AUC).
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> submodule; loaded on first use, so that the engine's export of order
#: histories (``CustomerSummary``) does not pull scipy into every run's start-up
_WHERE = {
    "BGNBD": "bgnbd", "fit_bgnbd": "bgnbd", "GammaGamma": "gamma_gamma",
    "fit_gamma_gamma": "gamma_gamma", "CustomerSummary": "history",
    "summarise_transactions": "history", "abc_classes": "value", "clv_bgnbd_gg": "value",
    "rfm_scores": "value", "at_risk": "warning", "roc_auc": "warning",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
