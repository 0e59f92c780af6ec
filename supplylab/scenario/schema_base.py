"""The building blocks of the scenario models: the base model (strict, unknown keys refused),
number and id types, locations, and a distribution or a map of them per product."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from .distributions import Dist

Prob = Annotated[float, Field(ge=0, le=1)]
NonNeg = Annotated[float, Field(ge=0)]
Pos = Annotated[float, Field(gt=0)]
Id = Annotated[
    str,
    Field(min_length=1, max_length=200, pattern=r"^[^.\s\[\]]+$",
          description="Identifier, unique across the scenario (no dots, spaces or brackets)."),
]


def _law_or_map(value: Any) -> str:
    if isinstance(value, dict) and "dist" not in value:
        return "per_product"
    return "law"


DistOrPerProduct = Annotated[
    Annotated[Dist, Tag("law")] | Annotated[dict[str, Dist], Tag("per_product")],
    Discriminator(_law_or_map),
]
"""A distribution, or a mapping product id -> distribution."""


class Model(BaseModel):
    """Base of every scenario model: unknown keys are errors, and every number is a finite
    number written as one (``strict``: ``'180'`` or ``true`` is not a price; ``.inf`` and
    ``.nan`` are refused; see docs/robustness.md). Validators are built at first use
    (``defer_build``): the scenario's one validator covers the whole tree, and importing the
    module does not build one per model (start-up)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=True,
                              strict=True, allow_inf_nan=False, defer_build=True)


class Location(Model):
    """A point on Earth in decimal degrees (WGS84)."""

    lat: float = Field(ge=-90, le=90, description="Latitude, degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees.")
