"""Greenfield centre-of-gravity: where would k warehouses go if any point were allowed?

Weighted Weiszfeld (1937) for one site minimises ``sum_j w_j * d(p, a_j)``: iterate
``p <- sum_j (w_j a_j / d_j) / sum_j (w_j / d_j)``. For k sites, alternate (k-means style)
between assigning each customer to its nearest site and re-centring each site by weighted
Weiszfeld on its customers (Cooper 1964's location-allocation heuristic). Distances are
planar (Euclidean, in the coordinates' unit) or great-circle (haversine, km, on (lat, lon) in
degrees; the Weiszfeld step is done in a local equirectangular projection around the
current centre, which is exact to first order and converges on the sphere in practice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from supplylab.errors import InputError

EARTH_RADIUS_KM = 6371.0088
Metric = Literal["planar", "great_circle"]


@dataclass(frozen=True)
class GravityResult:
    """``centres`` (k, 2) site coordinates; ``assignment`` (n,) site index of each customer;
    ``cost`` = sum_j w_j * distance to its site (weight x distance unit); ``iterations``."""

    centres: np.ndarray
    assignment: np.ndarray
    cost: float
    iterations: int


def haversine_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between (lat, lon) degree arrays broadcast together."""
    la1, lo1 = np.radians(a[..., 0]), np.radians(a[..., 1])
    la2, lo2 = np.radians(b[..., 0]), np.radians(b[..., 1])
    h = (np.sin((la2 - la1) / 2) ** 2
         + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def distances(points: np.ndarray, centres: np.ndarray, metric: Metric = "planar") -> np.ndarray:
    """(n, k) distance matrix from points to centres."""
    if metric == "great_circle":
        return haversine_km(points[:, None, :], centres[None, :, :])
    return np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2)


def weiszfeld(points: np.ndarray, weights: np.ndarray, metric: Metric = "planar",
              tol: float = 1e-9, max_iter: int = 1000) -> np.ndarray:
    """Weighted geometric median of ``points`` (n, 2) with ``weights`` (n,)."""
    w = np.asarray(weights, float)
    if w.sum() <= 0:
        return points.mean(axis=0)
    p = (w[:, None] * points).sum(axis=0) / w.sum()
    for _ in range(max_iter):
        if metric == "great_circle":
            scale = np.array([1.0, np.cos(np.radians(p[0]))])
        else:
            scale = np.ones(2)
        d = np.linalg.norm((points - p) * scale, axis=1)
        at = d < 1e-12
        if at.any():
            # Weiszfeld's fixed-point step is undefined at a data point; keep it if optimal
            # (Vardi-Zhang test: resultant of the other pulls no larger than its weight)
            others = ~at
            pull = ((w[others] / d[others])[:, None] * (points[others] - p) * scale ** 2).sum(0)
            if np.linalg.norm(pull / scale) <= w[at].sum():
                return p
            d = np.where(at, 1e-12, d)
        inv = w / d
        new = (inv[:, None] * points).sum(axis=0) / inv.sum()
        if np.linalg.norm(new - p) <= tol * (1 + np.linalg.norm(p)):
            return new
        p = new
    return p


def centre_of_gravity(points: np.ndarray, weights: np.ndarray, k: int,
                      metric: Metric = "planar", seed: int = 0, restarts: int = 5,
                      max_iter: int = 100) -> GravityResult:
    """Place ``k`` sites minimising weighted distance (location-allocation heuristic).

    ``points`` (n, 2): planar coordinates or (lat, lon) degrees for 'great_circle';
    ``weights`` (n,): e.g. yearly demand in units. The best of ``restarts`` weighted
    k-means++-style starts is returned (local optimum: the problem is NP-hard for k > 1).
    """
    points = np.asarray(points, float)
    weights = np.asarray(weights, float)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(weights):
        raise InputError("centre of gravity needs (n, 2) points and n weights")
    if not 1 <= k <= len(points):
        raise InputError(f"k={k} must be between 1 and the number of points {len(points)}")
    if (weights < 0).any():
        raise InputError("weights must be non-negative")
    rng = np.random.default_rng(seed)
    best = _one_start(points, weights, k, metric, rng, max_iter)
    for _ in range(restarts - 1):
        res = _one_start(points, weights, k, metric, rng, max_iter)
        if res.cost < best.cost - 1e-12:
            best = res
    return best


def _one_start(points: np.ndarray, weights: np.ndarray, k: int, metric: Metric,
               rng: np.random.Generator, max_iter: int) -> GravityResult:
    prob = weights / weights.sum() if weights.sum() > 0 else None
    centres = [points[rng.choice(len(points), p=prob)]]
    while len(centres) < k:
        d = distances(points, np.array(centres), metric).min(axis=1)
        score = weights * d
        pick = rng.choice(len(points), p=score / score.sum()) if score.sum() > 0 else \
            rng.choice(len(points))
        centres.append(points[pick])
    c = np.array(centres, dtype=float)
    assign = np.full(len(points), -1)
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        new_assign = distances(points, c, metric).argmin(axis=1)
        if np.array_equal(new_assign, assign):
            break
        assign = new_assign
        for s in range(k):
            mine = assign == s
            if mine.any():
                c[s] = weiszfeld(points[mine], weights[mine], metric)
    cost = float((weights * distances(points, c, metric)[np.arange(len(points)), assign]).sum())
    return GravityResult(c, assign, cost, iterations)
