"""A solver-neutral linear model: variable blocks and named row families held as numpy arrays.

Why: the network-design builders describe the MIP once, vectorised, and the solver facade
(`supplylab.optimize.solver`) turns the same description either into a PuLP model (the readable
public modelling layer) or into one CSR matrix handed to HiGHS in a single call (the fast path).
Both paths therefore solve exactly the same model, which the tests check. Row families carry a
name so that infeasibility can be reported per family (relax-and-report).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

INF = float("inf")


@dataclass
class VarBlock:
    """A block of variables with a shape, bounds, integrality and objective coefficients."""

    name: str
    shape: tuple[int, ...]
    start: int
    lower: np.ndarray
    upper: np.ndarray
    cost: np.ndarray
    integer: bool

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    def idx(self) -> np.ndarray:
        """Global column indices of the block, reshaped to the block's shape."""
        return (self.start + np.arange(self.size)).reshape(self.shape)


@dataclass
class RowFamily:
    """A family of rows ``lower <= A x <= upper`` stored as COO triplets (row local to family)."""

    name: str
    nrows: int
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    start: int = 0


@dataclass
class LinearModel:
    """Minimisation model ``min c.x + offset  s.t.  row bounds, column bounds, integrality``.

    Families named in ``lazy`` are valid but redundant tightening rows: the matrix path adds
    them only when violated (cutting-plane loop); the PuLP path includes them all.
    """

    name: str = "model"
    blocks: dict[str, VarBlock] = field(default_factory=dict)
    families: dict[str, RowFamily] = field(default_factory=dict)
    offset: float = 0.0
    ncols: int = 0
    nrows: int = 0
    lazy: set[str] = field(default_factory=set)

    def add_vars(self, name: str, shape: tuple[int, ...] | int, *, lower: float | np.ndarray = 0.0,
                 upper: float | np.ndarray = INF, cost: float | np.ndarray = 0.0,
                 integer: bool = False) -> np.ndarray:
        """Add a block of variables; return their global column indices in the given shape."""
        if name in self.blocks:
            raise ValueError(f"variable block {name!r} already exists")
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        size = int(np.prod(shape)) if shape else 1
        blk = VarBlock(name, shape, self.ncols,
                       np.broadcast_to(np.asarray(lower, float), shape).reshape(-1).copy(),
                       np.broadcast_to(np.asarray(upper, float), shape).reshape(-1).copy(),
                       np.broadcast_to(np.asarray(cost, float), shape).reshape(-1).copy(),
                       integer)
        self.blocks[name] = blk
        self.ncols += size
        return blk.idx()

    def add_rows(self, family: str, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray,
                 lower: np.ndarray | float, upper: np.ndarray | float,
                 nrows: int | None = None) -> None:
        """Add rows to a family from COO triplets (``rows`` numbered 0.. within this call).

        Calling twice with the same family appends rows to it.
        """
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        cols = np.asarray(cols, dtype=np.int64).reshape(-1)
        vals = np.broadcast_to(np.asarray(vals, float), rows.shape).copy()
        if nrows is None:
            nrows = int(rows.max()) + 1 if rows.size else 0
        lo = np.broadcast_to(np.asarray(lower, float), (nrows,)).copy()
        up = np.broadcast_to(np.asarray(upper, float), (nrows,)).copy()
        if family in self.families:
            fam = self.families[family]
            fam.rows = np.concatenate([fam.rows, rows + fam.nrows])
            fam.cols = np.concatenate([fam.cols, cols])
            fam.vals = np.concatenate([fam.vals, vals])
            fam.lower = np.concatenate([fam.lower, lo])
            fam.upper = np.concatenate([fam.upper, up])
            fam.nrows += nrows
        else:
            self.families[family] = RowFamily(family, nrows, rows, cols, vals, lo, up)
        self._renumber()

    def _renumber(self) -> None:
        start = 0
        for fam in self.families.values():
            fam.start = start
            start += fam.nrows
        self.nrows = start

    def column_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Cost, lower, upper and integrality (0/1) of every column, in column order."""
        blocks = list(self.blocks.values())
        if not blocks:
            empty = np.zeros(0)
            return empty, empty, empty, np.zeros(0, dtype=np.int32)
        cost = np.concatenate([b.cost for b in blocks])
        lower = np.concatenate([b.lower for b in blocks])
        upper = np.concatenate([b.upper for b in blocks])
        integ = np.concatenate([np.full(b.size, int(b.integer), dtype=np.int32) for b in blocks])
        return cost, lower, upper, integ

    def row_arrays(self, only: set[str] | None = None,
                   skip: set[str] | None = None) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """The constraint matrix in CSR form with row lower/upper bounds, in row order.

        ``only``/``skip`` restrict it to (or exclude) the named families.
        """
        fams = [f for f in self.families.values()
                if (only is None or f.name in only) and (skip is None or f.name not in skip)]
        if not fams:
            return sp.csr_matrix((0, self.ncols)), np.zeros(0), np.zeros(0)
        starts = np.cumsum([0] + [f.nrows for f in fams])
        nrows = int(starts[-1])
        r = np.concatenate([f.rows + s for f, s in zip(fams, starts[:-1], strict=True)])
        c = np.concatenate([f.cols for f in fams])
        v = np.concatenate([f.vals for f in fams])
        mat = sp.csr_matrix((v, (r, c)), shape=(nrows, self.ncols))
        mat.sum_duplicates()
        lo = np.concatenate([f.lower for f in fams])
        up = np.concatenate([f.upper for f in fams])
        return mat, lo, up

    def make_elastic(self, family: str,
                     weight: float | np.ndarray = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Add non-negative slack columns to every row of ``family`` at cost ``weight`` each.

        A row ``lo <= a.x <= up`` becomes ``lo <= a.x + s_lo`` and ``a.x - s_up <= up``.
        Returns the (s_lo, s_up) column indices per row (-1 where that side is infinite).
        """
        fam = self.families[family]
        w = np.broadcast_to(np.asarray(weight, float), (fam.nrows,))
        lo_rows = np.flatnonzero(np.isfinite(fam.lower))
        up_rows = np.flatnonzero(np.isfinite(fam.upper))
        s_lo = np.full(fam.nrows, -1, dtype=np.int64)
        s_up = np.full(fam.nrows, -1, dtype=np.int64)
        if lo_rows.size:
            s_lo[lo_rows] = self.add_vars(f"slack_{family}_lo", lo_rows.size, cost=w[lo_rows])
        if up_rows.size:
            s_up[up_rows] = self.add_vars(f"slack_{family}_up", up_rows.size, cost=w[up_rows])
        fam.rows = np.concatenate([fam.rows, lo_rows, up_rows])
        fam.cols = np.concatenate([fam.cols, s_lo[lo_rows], s_up[up_rows]])
        fam.vals = np.concatenate([fam.vals, np.ones(lo_rows.size), -np.ones(up_rows.size)])
        return s_lo, s_up

    def is_mip(self) -> bool:
        return any(b.integer for b in self.blocks.values())

    def column_names(self) -> list[str]:
        """Readable names ``block_i_j`` for every column (used by the PuLP path and LP files)."""
        names: list[str] = []
        for b in self.blocks.values():
            if len(b.shape) <= 1:
                names.extend(f"{b.name}_{k}" for k in range(b.size))
            else:
                grids = np.unravel_index(np.arange(b.size), b.shape)
                names.extend(f"{b.name}_" + "_".join(str(int(g[k])) for g in grids)
                             for k in range(b.size))
        return names

    def names_safe(self) -> bool:
        """True when block and family names are plain identifiers (no LP-file escaping needed)."""
        return all(nm.replace("_", "a").isalnum()
                   for nm in [*self.blocks, *self.families])

    def row_names(self) -> list[str]:
        return [f"{f.name}_{k}" for f in self.families.values() for k in range(f.nrows)]

    def value(self, x: np.ndarray, block: str) -> np.ndarray:
        """The solution values of one block, in the block's shape."""
        blk = self.blocks[block]
        return x[blk.start:blk.start + blk.size].reshape(blk.shape)
