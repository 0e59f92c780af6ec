"""The guaranteed-service model (Simpson 1958; Graves and Willems 2000) as data.

Each stage k has a processing time T_k (integer periods), a holding cost h_k per unit per period,
the standard deviation sigma_k of the demand it sees per period and a safety factor z. It quotes
an outbound service time S_k to its customers and is quoted the inbound service time SI_k =
max of its suppliers' S. Its net replenishment time is NRT_k = SI_k + T_k - S_k >= 0 and it holds
z sigma_k sqrt(NRT_k) units of safety stock, so the model minimises

    sum_k h_k z sigma_k sqrt(SI_k + T_k - S_k)

subject to S_i <= SI_k on every arc i -> k, SI_k = the external inbound service time at stages
without suppliers and S_k <= the maximum service time quoted to external customers. The base
stock of a stage is mu_k NRT_k + z sigma_k sqrt(NRT_k).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from supplylab.errors import InputError


@dataclass
class GSMNetwork:
    """Stages and arcs of a guaranteed-service problem (arcs point supplier -> customer).

    ``max_service`` (None = unbounded) bounds S_k; ``ext_inbound`` is SI_k at stages without
    suppliers (default 0). ``mean`` is the mean demand per period (for base-stock levels).
    """

    ids: list[str]
    T: np.ndarray
    h: np.ndarray
    sigma: np.ndarray
    z: float
    arcs: list[tuple[int, int]]
    max_service: list[int | None]
    ext_inbound: np.ndarray
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    name: str = "gsm"

    def __post_init__(self) -> None:
        n = len(self.ids)
        self.T = np.asarray(self.T, dtype=np.int64)
        self.h = np.asarray(self.h, dtype=float)
        self.sigma = np.asarray(self.sigma, dtype=float)
        self.ext_inbound = np.asarray(self.ext_inbound, dtype=np.int64)
        if self.mean.size == 0:
            self.mean = np.zeros(n)
        for arr, what in ((self.T, "processing time"), (self.h, "holding cost"),
                          (self.sigma, "demand sd"), (self.ext_inbound, "inbound service time")):
            if arr.shape != (n,):
                raise InputError(f"{self.name}: {what} needs one value per stage")
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                bad = self.ids[int(np.flatnonzero(~np.isfinite(arr) | (arr < 0))[0])]
                raise InputError(f"{self.name}: stage {bad!r}: {what} must be finite and >= 0")
        if len(set(self.ids)) != n:
            raise InputError(f"{self.name}: stage ids must be unique")
        self.order = self._topological()

    @classmethod
    def build(cls, ids: Sequence[str], T: Sequence[float], h: Sequence[float],
              sigma: Sequence[float], z: float, arcs: Sequence[tuple[str, str]],
              max_service: dict[str, int] | None = None,
              ext_inbound: dict[str, int] | None = None,
              mean: Sequence[float] | None = None, name: str = "gsm") -> GSMNetwork:
        """A network from ids and arcs named by id (supplier, customer)."""
        pos = {s: i for i, s in enumerate(ids)}
        for a, b in arcs:
            for s in (a, b):
                if s not in pos:
                    raise InputError(f"{name}: arc {a} -> {b} names unknown stage {s!r}")
        ms = [None if max_service is None else max_service.get(s) for s in ids]
        ei = np.array([0 if ext_inbound is None else ext_inbound.get(s, 0) for s in ids])
        return cls(list(ids), np.asarray(T), np.asarray(h, float), np.asarray(sigma, float), z,
                   [(pos[a], pos[b]) for a, b in arcs], ms, ei,
                   np.asarray(mean if mean is not None else np.zeros(len(ids)), float), name)

    @property
    def n(self) -> int:
        return len(self.ids)

    def suppliers(self) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in range(self.n)]
        for a, b in self.arcs:
            out[b].append(a)
        return out

    def _topological(self) -> list[int]:
        """Stages suppliers first; a cycle is an input error that names it."""
        indeg = np.zeros(self.n, dtype=int)
        succ: list[list[int]] = [[] for _ in range(self.n)]
        for a, b in self.arcs:
            if a == b:
                raise InputError(f"{self.name}: stage {self.ids[a]!r} supplies itself (a cycle)")
            succ[a].append(b)
            indeg[b] += 1
        stack = [k for k in range(self.n) if indeg[k] == 0]
        order = []
        while stack:
            k = stack.pop()
            order.append(k)
            for j in succ[k]:
                indeg[j] -= 1
                if indeg[j] == 0:
                    stack.append(j)
        if len(order) < self.n:
            left = [self.ids[k] for k in range(self.n) if indeg[k] > 0][:5]
            raise InputError(f"{self.name}: the supply network has a cycle through "
                             f"{', '.join(left)}: guaranteed-service placement needs an acyclic "
                             "network (remove the arc that closes the loop)")
        return order

    def longest_inbound(self) -> np.ndarray:
        """M_k: the longest replenishment time reaching stage k (its largest SI plus T_k)."""
        m = np.zeros(self.n, dtype=np.int64)
        sup = self.suppliers()
        for k in self.order:
            base = max((m[i] for i in sup[k]), default=int(self.ext_inbound[k]))
            m[k] = base + self.T[k]
        return m

    def is_tree(self) -> bool:
        """True when the undirected network is a spanning tree or forest (no undirected cycle)."""
        parent = list(range(self.n))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a, b in self.arcs:
            ra, rb = find(a), find(b)
            if ra == rb:
                return False
            parent[ra] = rb
        return True

    def cost(self, S: np.ndarray, SI: np.ndarray) -> float:
        """Safety-stock cost of service times (checks feasibility)."""
        nrt = self.check(S, SI)
        return float(np.sum(self.h * self.z * self.sigma * np.sqrt(nrt)))

    def check(self, S: np.ndarray, SI: np.ndarray, tol: float = 1e-6) -> np.ndarray:
        """The net replenishment times of feasible service times; raises ValueError otherwise."""
        S = np.asarray(S, float)
        SI = np.asarray(SI, float)
        nrt = SI + self.T - S
        if np.any(nrt < -tol) or np.any(S + tol < 0):
            raise ValueError("negative net replenishment or service time")
        for a, b in self.arcs:
            if S[a] > SI[b] + tol:
                raise ValueError(f"S[{self.ids[a]}] > SI[{self.ids[b]}]")
        sup = self.suppliers()
        for k in range(self.n):
            if not sup[k] and abs(SI[k] - self.ext_inbound[k]) > tol:
                raise ValueError(f"SI[{self.ids[k]}] differs from the external inbound time")
            ms = self.max_service[k]
            if ms is not None and S[k] > ms + tol:
                raise ValueError(f"S[{self.ids[k]}] above its maximum service time")
        return np.maximum(nrt, 0.0)


@dataclass(frozen=True)
class GSMSolution:
    """Service times, net replenishment times, safety stocks and base stocks per stage.

    ``status`` is optimal (proven), feasible (a limit stopped the search; see ``gap``) or the
    solver's word; ``bound`` is a proven lower bound on the cost.
    """

    network: GSMNetwork
    S: np.ndarray
    SI: np.ndarray
    objective: float
    status: str
    bound: float
    method: str
    time_s: float

    @property
    def gap(self) -> float:
        return max(0.0, (self.objective - self.bound) / max(abs(self.objective), 1e-9))

    @property
    def nrt(self) -> np.ndarray:
        return np.maximum(self.SI + self.network.T - self.S, 0.0)

    def safety_stock(self) -> np.ndarray:
        """z sigma_k sqrt(NRT_k), units."""
        return self.network.z * self.network.sigma * np.sqrt(self.nrt)

    def base_stock(self) -> np.ndarray:
        """mu_k NRT_k + z sigma_k sqrt(NRT_k), units."""
        return self.network.mean * self.nrt + self.safety_stock()

    def table(self):  # noqa: ANN201 - pandas DataFrame
        """One row per stage: S, SI, NRT, safety stock, base stock, holding cost."""
        import pandas as pd

        ss = self.safety_stock()
        return pd.DataFrame({
            "stage": self.network.ids, "S": self.S.round(6), "SI": self.SI.round(6),
            "NRT": self.nrt.round(6), "safety_stock": ss, "base_stock": self.base_stock(),
            "holding_cost": self.network.h * ss})

    def summary(self) -> dict[str, object]:
        """Objective, status, bound, gap, method, time and the service times per stage."""
        return {"instance": self.network.name, "objective": self.objective,
                "status": self.status, "bound": self.bound, "gap": self.gap,
                "method": self.method, "time_s": self.time_s, "stages": self.network.n,
                "service_times": {s: int(round(v)) if math.isfinite(v) else None
                                  for s, v in zip(self.network.ids, self.S, strict=True)},
                "inbound_service_times": {s: int(round(v)) for s, v in
                                          zip(self.network.ids, self.SI, strict=True)}}
