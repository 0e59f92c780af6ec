"""Readers for published facility-location benchmark files.

Formats (see /work/shared/benchmarks/facility/README.md):

* OR-Library ``cap*`` (Beasley 1988): ``m n``; m lines ``capacity fixed``; then per customer
  ``demand`` and m costs. In ``capa/capb/capc`` the capacity is the word "capacity": pass
  ``capacity=``. Also used by UflLib's M instances (capacity 0, demand 1).
* Holmberg / Yang (Guastaroba-Speranza collection): ``m n``; m lines ``capacity fixed``; n
  demands; an m x n cost matrix (facility rows x customer columns).
* UflLib "simple" (Bilde-Krarup): ``FILE: name``; ``m n 0``; m lines
  ``id fixed c_1 .. c_n``.

All costs in these files are for serving ALL of a customer's demand from a facility, so
``cost[i, j] * x_ij`` is the allocation cost when ``x_ij`` is the fraction served.
Every reader parses by whitespace tokens (line breaks differ between copies) and raises
:class:`~supplylab.errors.InputError` naming the file on any malformed input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from supplylab.errors import InputError

FormatName = Literal["orlib", "holmberg", "ufllib"]


@dataclass(frozen=True, eq=False)
class FacilityProblem:
    """A benchmark facility-location instance.

    ``fixed`` (m,) opening cost per facility; ``capacity`` (m,) in demand units or None when
    uncapacitated; ``demand`` (n,) units; ``cost`` (m, n) cost of serving ALL of customer j's
    demand from facility i.
    """

    name: str
    fixed: np.ndarray
    capacity: np.ndarray | None
    demand: np.ndarray
    cost: np.ndarray

    @property
    def m(self) -> int:
        return int(self.fixed.shape[0])

    @property
    def n(self) -> int:
        return int(self.demand.shape[0])

    def uncapacitated(self) -> FacilityProblem:
        """The same instance with capacities ignored (the UFLP reading)."""
        return FacilityProblem(self.name, self.fixed, None, self.demand, self.cost)


class _Tokens:
    """Sequential reader of whitespace tokens that reports the file on every error."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read facility instance: {exc}", file=str(path)) from exc
        # Some redistributed copies are padded with NUL bytes, and in some (Holmberg p47) the
        # padding is followed by leftovers of an older, longer file. Data that is complete
        # before the first NUL therefore ends there; otherwise NULs read as blanks.
        head, nul, _ = text.partition("\x00")
        self.tokens = text.replace("\x00", " ").split()
        self.data_end = len(head.split()) if nul else len(self.tokens)
        self.pos = 0

    def fail(self, msg: str) -> InputError:
        return InputError(f"{msg} (token {self.pos + 1})", file=str(self.path))

    def word(self) -> str:
        if self.pos >= len(self.tokens):
            raise self.fail("file ends too early")
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def number(self, what: str) -> float:
        tok = self.word()
        try:
            val = float(tok)
        except ValueError:
            raise self.fail(f"expected a number for {what}, found {tok!r}") from None
        if not np.isfinite(val):
            raise self.fail(f"{what} must be finite, found {tok!r}")
        return val

    def count(self, what: str) -> int:
        val = self.number(what)
        if val != int(val) or val <= 0:
            raise self.fail(f"{what} must be a positive integer, found {val}")
        return int(val)

    def numbers(self, k: int, what: str) -> np.ndarray:
        return np.array([self.number(what) for _ in range(k)], dtype=float)

    def end(self) -> None:
        if self.pos == self.data_end:
            return
        if self.pos != len(self.tokens):
            raise self.fail(f"{len(self.tokens) - self.pos} unexpected tokens after the data")


def _check(problem: FacilityProblem, path: Path) -> FacilityProblem:
    if (problem.fixed < 0).any() or (problem.demand < 0).any() or (problem.cost < 0).any():
        raise InputError("negative fixed cost, demand or allocation cost", file=str(path))
    if problem.capacity is not None and (problem.capacity < 0).any():
        raise InputError("negative capacity", file=str(path))
    return problem


def read_orlib(path: str | Path, capacity: float | None = None,
               uncapacitated: bool = False) -> FacilityProblem:
    """Read an OR-Library capacitated warehouse location file (Beasley 1988).

    ``capacity`` overrides every facility's capacity and is required for capa/capb/capc, whose
    capacity field is the word "capacity". ``uncapacitated=True`` drops capacities (UFLP).
    """
    path = Path(path)
    tk = _Tokens(path)
    m, n = tk.count("number of facilities"), tk.count("number of customers")
    caps = np.zeros(m)
    fixed = np.zeros(m)
    for i in range(m):
        if tk.tokens[tk.pos:tk.pos + 1] == ["capacity"]:
            tk.pos += 1
            if capacity is None and not uncapacitated:
                raise InputError("capacity is the word 'capacity' in this file: give the "
                                 "capacity as a parameter (e.g. --capacity 8000)", file=str(path))
            caps[i] = np.nan
        else:
            caps[i] = tk.number(f"capacity of facility {i + 1}")
        fixed[i] = tk.number(f"fixed cost of facility {i + 1}")
    demand = np.zeros(n)
    cost = np.zeros((m, n))
    for j in range(n):
        demand[j] = tk.number(f"demand of customer {j + 1}")
        cost[:, j] = tk.numbers(m, f"allocation costs of customer {j + 1}")
    tk.end()
    if capacity is not None:
        caps = np.full(m, float(capacity))
    cap = None if uncapacitated else caps
    return _check(FacilityProblem(path.stem, fixed, cap, demand, cost), path)


def read_holmberg(path: str | Path, capacity: float | None = None,
                  uncapacitated: bool = False) -> FacilityProblem:
    """Read a Holmberg/Yang single-source CFLP file (facility rows x customer columns)."""
    path = Path(path)
    tk = _Tokens(path)
    m, n = tk.count("number of facilities"), tk.count("number of customers")
    caps = np.zeros(m)
    fixed = np.zeros(m)
    for i in range(m):
        caps[i] = tk.number(f"capacity of facility {i + 1}")
        fixed[i] = tk.number(f"fixed cost of facility {i + 1}")
    demand = tk.numbers(n, "demands")
    cost = tk.numbers(m * n, "allocation cost matrix").reshape(m, n)
    tk.end()
    if capacity is not None:
        caps = np.full(m, float(capacity))
    return _check(FacilityProblem(path.name, fixed, None if uncapacitated else caps, demand, cost),
                  path)


def read_ufllib(path: str | Path, capacity: float | None = None,
                uncapacitated: bool = True) -> FacilityProblem:
    """Read a UflLib instance: the Bilde-Krarup "simple" format or an M file (OR-Library layout).

    The simple format starts with ``FILE:``; anything else is read as OR-Library layout with
    capacities ignored (UflLib problems are uncapacitated, demand 1 per customer).
    """
    path = Path(path)
    tk = _Tokens(path)
    if not tk.tokens or tk.tokens[0] != "FILE:":
        prob = read_orlib(path, capacity=capacity, uncapacitated=True)
        return FacilityProblem(path.name, prob.fixed, None, prob.demand, prob.cost)
    tk.pos = 2
    m, n = tk.count("number of facilities"), tk.count("number of customers")
    tk.number("format flag")
    fixed = np.zeros(m)
    cost = np.zeros((m, n))
    for i in range(m):
        tk.number(f"id of facility {i + 1}")
        fixed[i] = tk.number(f"opening cost of facility {i + 1}")
        cost[i] = tk.numbers(n, f"connection costs of facility {i + 1}")
    tk.end()
    return _check(FacilityProblem(path.name, fixed, None, np.ones(n), cost), path)


def read_instance(path: str | Path, fmt: FormatName = "orlib", capacity: float | None = None,
                  uncapacitated: bool = False) -> FacilityProblem:
    """Read ``path`` in format ``fmt`` ('orlib', 'holmberg' or 'ufllib')."""
    path = Path(path)
    if not path.is_file():
        raise InputError("facility instance file not found", file=str(path))
    if fmt == "orlib":
        return read_orlib(path, capacity, uncapacitated)
    if fmt == "holmberg":
        return read_holmberg(path, capacity, uncapacitated)
    if fmt == "ufllib":
        return read_ufllib(path, capacity)
    raise InputError(f"unknown instance format {fmt!r}: use orlib, holmberg or ufllib",
                     file=str(path))
