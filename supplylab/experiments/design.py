"""Experimental designs: the list of parameter points a sweep runs.

* ``grid``: every combination of the value lists (first parameter varies slowest).
* ``list``: the value lists zipped (all of the same length): point i takes the i-th values.
* ``lhs``: Latin hypercube of ``samples`` points: each parameter's range is cut into
  ``samples`` equal strata, one uniform draw per stratum, strata shuffled independently per
  parameter (McKay, Beckman & Conover 1979). Seeded by the experiment seed, so reproducible.
  A ``{low, high}`` range with two integer bounds gives integers: the draw u in [0, 1) is
  rounded down onto the ``high - low + 1`` integers, each equally likely, so the values are
  distinct whenever ``samples`` does not exceed the number of integers. A value list is
  sampled the same way (value ``floor(u * len)``).

A parameter is a dotted scenario path mapped to a value list or to :class:`Bounds`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

DESIGNS = ("grid", "list", "lhs")
#: Salt mixed into the LHS seed so its draws never coincide with a run's random streams.
_LHS_SALT = 0x4C4853


@dataclass(frozen=True)
class Bounds:
    """A closed range ``[low, high]`` for LHS; integers when both bounds are ints."""

    low: float
    high: float

    @property
    def integer(self) -> bool:
        return all(isinstance(b, int) and not isinstance(b, bool) for b in (self.low, self.high))


Spec = Sequence[Any] | Bounds


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def check_design(design: str, parameters: Mapping[str, Any], samples: int | None
                 ) -> list[tuple[tuple[Any, ...], str]]:
    """Problems with a design, as (path inside the experiment, message) pairs; [] if fine.

    Paths are tuples such as ``("parameters", "costs.holding_rate_per_year", "low")``; the
    experiment loader turns them into file positions.
    """
    issues: list[tuple[tuple[Any, ...], str]] = []
    if design not in DESIGNS:
        issues.append((("design",), f"unknown design {design!r}; expected one of "
                                    f"{', '.join(DESIGNS)}"))
        return issues
    if not parameters:
        issues.append((("parameters",), "empty design: give at least one parameter"))
    if design == "lhs":
        if samples is None:
            issues.append((("design",), "design lhs needs 'samples' (the number of points)"))
        elif not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
            issues.append((("samples",), f"samples must be a positive integer, got {samples!r}"))
    elif samples is not None:
        issues.append((("samples",), f"samples is only used by design lhs, not {design}"))
    lengths: dict[str, int] = {}
    for path, spec in parameters.items():
        where = ("parameters", path)
        if isinstance(spec, Bounds):
            if not (_is_number(spec.low) and _is_number(spec.high)):
                issues.append((where, "bounds low and high must be finite numbers"))
            elif spec.low > spec.high:
                issues.append(((*where, "low"), f"bounds reversed: low {spec.low} > high "
                                                f"{spec.high}"))
            if design != "lhs":
                issues.append((where, f"bounds {{low, high}} need design lhs; design {design} "
                                      "needs a list of values"))
        elif len(spec) == 0:
            issues.append((where, "empty list of values"))
        else:
            lengths[path] = len(spec)
    if design == "list" and lengths:
        first, n0 = next(iter(lengths.items()))
        for path, n in lengths.items():
            if n != n0:
                issues.append((("parameters", path), f"design list needs value lists of one "
                                                     f"length: {n} values here, {n0} in {first}"))
    return issues


def _lhs(parameters: Mapping[str, Spec], samples: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), _LHS_SALT]))
    columns: dict[str, list[Any]] = {}
    for path, spec in parameters.items():
        u = (rng.permutation(samples) + rng.random(samples)) / samples
        if isinstance(spec, Bounds) and spec.integer:
            k = int(spec.high) - int(spec.low) + 1
            idx = np.minimum(np.floor(u * k), k - 1).astype(int)
            columns[path] = [int(spec.low) + int(i) for i in idx]
        elif isinstance(spec, Bounds):
            columns[path] = [float(v) for v in spec.low + u * (spec.high - spec.low)]
        else:
            idx = np.minimum((u * len(spec)).astype(int), len(spec) - 1)
            columns[path] = [spec[i] for i in idx]
    return [{p: columns[p][i] for p in parameters} for i in range(samples)]


def build_points(design: str, parameters: Mapping[str, Spec], *, samples: int | None = None,
                 seed: int = 0) -> list[dict[str, Any]]:
    """The design's points, each a ``{dotted path: value}`` dict (call after check_design)."""
    names = list(parameters)
    if design == "grid":
        lists = [list(parameters[p]) for p in names]  # type: ignore[arg-type]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*lists)]
    if design == "list":
        lists = [list(parameters[p]) for p in names]  # type: ignore[arg-type]
        return [dict(zip(names, combo, strict=True)) for combo in zip(*lists, strict=True)]
    if design == "lhs":
        return _lhs(parameters, int(samples or 0), seed)
    raise ValueError(f"unknown design {design!r}")


def as_spec(value: Any) -> Spec:
    """A parameter value from a file or the API: ``{low, high}`` -> Bounds, scalar -> [scalar]."""
    if isinstance(value, Bounds):
        return value
    if isinstance(value, Mapping):
        return Bounds(value.get("low"), value.get("high"))  # type: ignore[arg-type]
    if isinstance(value, list | tuple | range | np.ndarray):
        return list(value)
    return [value]
