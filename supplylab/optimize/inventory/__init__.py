"""Inventory optimisation: lead-time demand, single-site policies, classification, service
differentiation and guaranteed-service multi-echelon placement (docs/inventory.md).

Modules: :mod:`laws` (demand laws and loss functions), :mod:`single_site` (EOQ, newsvendor,
CSL and fill-rate levels, (r,Q)), :mod:`zheng_federgruen` (optimal (s,S)),
:mod:`lot_sizing` (Wagner-Whitin), :mod:`classify` (ABC, XYZ, demand patterns),
:mod:`demand_stats` (lead-time demand from a scenario), :mod:`site_policies`,
:mod:`differentiation` (service differentiation and frontier), :mod:`gsm`, :mod:`gsm_tree`,
:mod:`gsm_milp` (guaranteed-service model), :mod:`willems` (the Willems 2008 reader),
:mod:`verify` (simulation check and calibration), :mod:`api` (:func:`optimize_inventory`).

Names are imported on first use, so ``supplylab --help`` does not load scipy.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_NAMES = {
    "GSMNetwork": "gsm", "GSMSolution": "gsm", "solve_gsm": "gsm_milp", "solve_milp": "gsm_milp",
    "solve_tree": "gsm_tree", "Law": "laws", "law_for": "laws", "SSResult": "zheng_federgruen",
    "ss_cost": "zheng_federgruen", "ss_optimal": "zheng_federgruen", "ss_service": "zheng_federgruen",
    "read_willems": "willems", "Targets": "site_policies", "SitePolicy": "site_policies",
    "optimise_policies": "site_policies", "differentiate_service": "differentiation",
    "verify_policies": "verify", "calibrate_policies": "verify",
    "optimize_inventory": "api", "InventoryResult": "api", "wagner_whitin": "lot_sizing",
    "abc_classes": "classify", "demand_pattern": "classify", "series_pattern": "classify",
    "xyz_class": "classify",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(import_module(f"{__name__}.{_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
