"""Concave site costs of the square-root kind: the inventory a site holds grows with the square
root of what it serves, so consolidating customers in fewer sites saves stock (Maister's
square-root law) and closing a site trades transport against inventory.

A :class:`SqrtCost` is ``cost_i = scale_i * sqrt(sum_j weight_ij x_ij)`` per site i, e.g.

* safety stock: ``weight_ij = L_i sigma_j^2`` (lead time [days] x daily demand variance
  [units^2/day]) and ``scale_i = z h c`` (safety factor x holding rate [1/yr] x unit value);
* cycle stock and ordering (EOQ): ``weight_ij = d_j`` [units/yr] and ``scale_i = sqrt(2 K h c)``
  (order cost K), the optimal yearly ordering plus cycle-stock holding cost.

In the MIP the square root is replaced by its piecewise-linear interpolation on breakpoints
``t_k = T_i (k / K)^2`` (denser near 0, where the root bends most), ``T_i`` the largest value the
argument can take; the same interpolation is used by the solution tables and the audit. As the
function is concave and minimised, the segments are filled in order by binaries (incremental
formulation): ``t_i = sum_k delta_ik``, ``0 <= delta_ik <= D_k``, ``delta_ik >= D_k w_ik`` and
``delta_i,k+1 <= D_k+1 w_ik``. Interpolation lies below the root by at most about 3% of
``scale_i sqrt(T_i)`` with the default 6 segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from supplylab.optimize.linear import INF, LinearModel

if TYPE_CHECKING:
    from supplylab.optimize.formulation import BuildContext


@dataclass(frozen=True, eq=False)
class SqrtCost:
    """``cost_i = scale_i * sqrt(sum_j weight_ij x_ij)`` [currency/yr] per site, interpolated
    on ``segments`` pieces; ``name`` labels its line of the cost breakdown."""

    name: str
    weight: np.ndarray
    scale: np.ndarray
    segments: int = 6

    def breakpoints(self) -> np.ndarray:
        """(m, K+1) breakpoints of every site's argument, from 0 to its largest value."""
        top = np.maximum(self.weight, 0.0).sum(axis=1)
        frac = (np.arange(self.segments + 1) / self.segments) ** 2
        return top[:, None] * frac[None, :]

    def evaluate(self, share: np.ndarray) -> np.ndarray:
        """The interpolated cost per site of the shares ``x`` (m, n) [currency/yr]."""
        arg = (self.weight * share).sum(axis=1)
        bp = self.breakpoints()
        out = np.zeros(len(arg))
        for i in np.flatnonzero(bp[:, -1] > 0):
            out[i] = self.scale[i] * np.interp(min(arg[i], bp[i, -1]), bp[i], np.sqrt(bp[i]))
        return out


def add_sqrt_costs(model: LinearModel, ctx: BuildContext) -> None:
    """Segment variables, fill-order binaries and the argument rows of every SqrtCost."""
    for k, sc in enumerate(ctx.problem.sqrt_costs):
        sites = np.flatnonzero((sc.breakpoints()[:, -1] > 0) & (sc.scale > 0))
        if sites.size == 0:
            continue
        bp = sc.breakpoints()[sites]
        seg = np.diff(bp, axis=1)  # (s, K)
        slope = np.diff(np.sqrt(bp), axis=1) / np.where(seg > 0, seg, 1.0)
        ns, nk = seg.shape
        delta = model.add_vars(f"sqrt{k}_seg", (ns, nk), upper=seg,
                               cost=sc.scale[sites][:, None] * slope)
        fill = model.add_vars(f"sqrt{k}_fill", (ns, nk - 1), upper=1.0, integer=True)
        n = ctx.problem.n
        # sum_j w_ij x_ij - sum_k delta_ik = 0
        rows = [np.repeat(np.arange(ns), n), np.repeat(np.arange(ns), nk)]
        cols = [ctx.x[sites].reshape(-1), delta.reshape(-1)]
        vals = [sc.weight[sites].reshape(-1), -np.ones(ns * nk)]
        model.add_rows(f"sqrt{k}_argument", np.concatenate(rows), np.concatenate(cols),
                       np.concatenate(vals), 0.0, 0.0, nrows=ns)
        if nk < 2:
            continue
        r = np.arange(ns * (nk - 1))
        # delta_ik >= D_k w_ik   and   delta_i,k+1 <= D_k+1 w_ik
        model.add_rows(f"sqrt{k}_order",
                       np.concatenate([r, r, r + r.size, r + r.size]),
                       np.concatenate([delta[:, :-1].reshape(-1), fill.reshape(-1),
                                       delta[:, 1:].reshape(-1), fill.reshape(-1)]),
                       np.concatenate([np.ones(r.size), -seg[:, :-1].reshape(-1),
                                       np.ones(r.size), -seg[:, 1:].reshape(-1)]),
                       np.concatenate([np.zeros(r.size), np.full(r.size, -INF)]),
                       np.concatenate([np.full(r.size, INF), np.zeros(r.size)]),
                       nrows=2 * r.size)
