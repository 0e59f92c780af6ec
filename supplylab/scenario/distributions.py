"""Random quantities of the scenario language.

Wherever a random quantity is allowed, a number means a constant and a mapping with a ``dist``
key names a law. Every law knows its mean and variance (used by checks and optimisers) and
samples in batches from a caller-owned ``numpy.random.Generator`` (the engine owns the streams).
Parameters are in the unit of the field the distribution stands for (days, units, ...).
Every random quantity of the language is a time, a count or a multiplier, so no law may take
negative values (a constant, a normal mean, the bounds of uniform, triangular and empirical
laws are at least 0) and every parameter is a finite number.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

NonNeg = Annotated[float, Field(ge=0)]


class _Law(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False,
                              defer_build=True)

    def mean(self) -> float:
        raise NotImplementedError

    def variance(self) -> float:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent draws as a float array."""
        raise NotImplementedError

    @property
    def is_constant(self) -> bool:
        return False


class _ByMean(_Law):
    """A law parameterised by its mean, written ``mean:`` in YAML (``mean_`` in Python, so
    it does not shadow the ``mean()`` method)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True,
                              allow_inf_nan=False)
    mean_: float

    def mean(self) -> float:
        return self.mean_


class Constant(_Law):
    """A fixed value; written in YAML as a plain number."""

    dist: Literal["constant"] = "constant"
    value: NonNeg

    def mean(self) -> float:
        return self.value

    def variance(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value, dtype=float)

    @property
    def is_constant(self) -> bool:
        return True


class Poisson(_ByMean):
    """Poisson law with the given mean (counts: units, lines)."""

    dist: Literal["poisson"]
    mean_: NonNeg = Field(alias="mean")
    def variance(self) -> float:
        return self.mean_

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.poisson(self.mean_, size).astype(float)


class Normal(_ByMean):
    """Normal law; used for quantities and times it is truncated at 0 by the engine."""

    dist: Literal["normal"]
    mean_: NonNeg = Field(alias="mean")
    sd: NonNeg
    def variance(self) -> float:
        return self.sd**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.normal(self.mean_, self.sd, size)


class Lognormal(_ByMean):
    """Lognormal law parameterised by its own mean and sd (not mu/sigma of the log)."""

    dist: Literal["lognormal"]
    mean_: float = Field(alias="mean", gt=0)
    sd: NonNeg
    def variance(self) -> float:
        return self.sd**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        s2 = math.log1p((self.sd / self.mean_) ** 2)
        mu = math.log(self.mean_) - s2 / 2
        return rng.lognormal(mu, math.sqrt(s2), size)


class Gamma(_ByMean):
    """Gamma law parameterised by mean and sd (shape = (mean/sd)^2)."""

    dist: Literal["gamma"]
    mean_: float = Field(alias="mean", gt=0)
    sd: float = Field(gt=0)
    def variance(self) -> float:
        return self.sd**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = (self.mean_ / self.sd) ** 2
        return rng.gamma(shape, self.sd**2 / self.mean_, size)


class NegBin(_ByMean):
    """Negative binomial counts with the given mean and sd (needs sd^2 > mean: over-dispersed)."""

    dist: Literal["negbin"]
    mean_: float = Field(alias="mean", gt=0)
    sd: float = Field(gt=0)

    @model_validator(mode="after")
    def _overdispersed(self) -> NegBin:
        if self.sd**2 <= self.mean_:
            raise ValueError(
                f"negbin needs sd^2 > mean (got sd^2={self.sd**2:g}, mean={self.mean_:g}); "
                "use poisson when variance equals the mean"
            )
        return self

    def variance(self) -> float:
        return self.sd**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        p = self.mean_ / self.sd**2
        n = self.mean_ * p / (1 - p)
        return rng.negative_binomial(n, p, size).astype(float)


class Uniform(_Law):
    """Continuous uniform law on [low, high]."""

    dist: Literal["uniform"]
    low: NonNeg
    high: NonNeg

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high ({self.high:g}) is below low ({self.low:g}): swap them")
        return self

    def mean(self) -> float:
        return (self.low + self.high) / 2

    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


class Triangular(_Law):
    """Triangular law with low <= mode <= high."""

    dist: Literal["triangular"]
    low: NonNeg
    mode: NonNeg
    high: NonNeg

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError(
                f"needs low <= mode <= high (got {self.low:g}, {self.mode:g}, {self.high:g})"
            )
        return self

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.high == self.low:
            return np.full(size, self.low, dtype=float)
        return rng.triangular(self.low, self.mode, self.high, size)


class Exponential(_ByMean):
    """Exponential law with the given mean."""

    dist: Literal["exponential"]
    mean_: float = Field(alias="mean", gt=0)
    def variance(self) -> float:
        return self.mean_**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)


class Empirical(_Law):
    """Discrete law on ``values`` with optional ``weights`` (normalised; default equal)."""

    dist: Literal["empirical"]
    values: list[NonNeg] = Field(min_length=1)
    weights: list[NonNeg] | None = None

    @model_validator(mode="after")
    def _weights(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"weights has {len(self.weights)} entries but values has {len(self.values)}"
                )
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    def _p(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        return w / w.sum()

    def mean(self) -> float:
        return float(np.dot(self._p(), self.values))

    def variance(self) -> float:
        v = np.asarray(self.values)
        return float(np.dot(self._p(), (v - self.mean()) ** 2))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size=size, p=self._p())


LAWS: dict[str, type[_Law]] = {
    "constant": Constant, "poisson": Poisson, "normal": Normal, "lognormal": Lognormal,
    "gamma": Gamma, "negbin": NegBin, "uniform": Uniform, "triangular": Triangular,
    "exponential": Exponential, "empirical": Empirical,
}


def _number_to_constant(value: Any) -> Any:
    """A number becomes the ``constant`` law; a mapping goes on to the union (by ``dist``);
    anything else is refused with what to write instead."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "constant", "value": value}
    if isinstance(value, dict):
        return value
    want = "a number or a mapping such as {dist: poisson, mean: 3}"
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            text = value if len(value) <= 40 else value[:37] + "..."
            raise ValueError(f"needs {want} (got {text!r})") from None
        raise ValueError(f"needs {want} (got the text {value!r}: write the number without "
                         f"quotes)")
    got = "true/false" if isinstance(value, bool) else "null" if value is None else \
        f"a list of {len(value)} item(s)" if isinstance(value, list) else type(value).__name__
    raise ValueError(f"needs {want} (got {got})")


def _constant_to_number(law: _Law) -> Any:
    if isinstance(law, Constant):
        return law.value
    return law.model_dump(by_alias=True)


class _NumberOrLaw:
    """JSON Schema of a random quantity: a plain number, or a law mapping.

    Validation turns a number into a ``constant`` law before the discriminated union sees
    it, so the union's own schema would reject ``lead_time: 2`` in an editor.
    """

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        return {"anyOf": [{"type": "number"}, handler(core_schema)]}


Dist = Annotated[
    Constant | Poisson | Normal | Lognormal | Gamma | NegBin | Uniform | Triangular
    | Exponential | Empirical,
    Field(discriminator="dist"),
    BeforeValidator(_number_to_constant),
    PlainSerializer(_constant_to_number),
    _NumberOrLaw(),
]
"""A random quantity: a number (constant) or a ``{dist: ...}`` mapping."""


def constant(value: float) -> Constant:
    """The constant law at ``value`` (what a plain number in YAML becomes)."""
    return Constant(value=value)
