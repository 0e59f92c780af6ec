"""Inventory optimisation: lead-time demand, single-site policies, classification, service
differentiation and guaranteed-service multi-echelon placement (docs/inventory.md).

Modules: :mod:`laws` (demand laws and loss functions), :mod:`single_site` (EOQ, newsvendor,
CSL and fill-rate levels, (r,Q)), :mod:`ss_optimal` (Zheng-Federgruen (s,S)), :mod:`gsm`,
:mod:`gsm_tree`, :mod:`gsm_milp` (guaranteed-service model), :mod:`willems` (the Willems 2008
chains reader).
"""

from supplylab.optimize.inventory.gsm import GSMNetwork, GSMSolution
from supplylab.optimize.inventory.gsm_milp import solve_gsm, solve_milp
from supplylab.optimize.inventory.gsm_tree import solve_tree
from supplylab.optimize.inventory.laws import Law, law_for
from supplylab.optimize.inventory.ss_optimal import SSResult, ss_cost, ss_optimal
from supplylab.optimize.inventory.willems import read_willems

__all__ = [
    "GSMNetwork", "GSMSolution", "Law", "SSResult", "law_for", "read_willems", "solve_gsm",
    "solve_milp", "solve_tree", "ss_cost", "ss_optimal",
]
