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

from .bgnbd import BGNBD, fit_bgnbd
from .gamma_gamma import GammaGamma, fit_gamma_gamma
from .history import CustomerSummary, summarise_transactions
from .value import abc_classes, clv_bgnbd_gg, rfm_scores
from .warning import at_risk, roc_auc

__all__ = [
    "BGNBD", "CustomerSummary", "GammaGamma", "abc_classes", "at_risk", "clv_bgnbd_gg",
    "fit_bgnbd", "fit_gamma_gamma", "rfm_scores", "roc_auc", "summarise_transactions",
]
