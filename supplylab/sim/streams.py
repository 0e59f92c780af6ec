"""Random streams: one independent generator per (replication, entity, purpose).

Streams are keyed by the entity's id, not its position, so adding a customer does not change
another customer's demand, and replication k of two compared scenarios shares every stream of
the entities they have in common (common random numbers). Nothing here is global.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..scenario.distributions import _Law
from ..scenario.network import stable_int


class Streams:
    """Factory of generators for one replication of one seed."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = int(seed)
        self.replication = int(replication)

    def rng(self, kind: str, ident: str, purpose: str = "") -> np.random.Generator:
        """The generator of ``purpose`` for entity ``kind:ident`` (identical on every run)."""
        key = (self.replication, stable_int(f"{kind}:{ident}"), stable_int(purpose))
        return np.random.Generator(np.random.PCG64(
            np.random.SeedSequence(entropy=self.seed, spawn_key=key)))

    def lazy(self, kind: str, ident: str, purpose: str = "") -> Any:
        """``rng(kind, ident, purpose)``, built at its first use (a site's processing,
        quality or production stream is often never drawn from; building one costs about
        15 microseconds). Draws are those of ``rng``'s generator."""
        return LazyGenerator(self, (kind, ident, purpose))


class LazyGenerator:
    """Stands for ``Streams.rng(*args)`` and creates it when one of its methods is used."""

    __slots__ = ("_streams", "_args", "_g")

    def __init__(self, streams: Streams, args: tuple[str, str, str]) -> None:
        self._streams = streams
        self._args = args
        self._g: np.random.Generator | None = None

    def __getattr__(self, name: str) -> Any:
        if self._g is None:
            self._g = self._streams.rng(*self._args)
        return getattr(self._g, name)


class Sampler:
    """Draws from a law one value at a time, sampling in batches behind the scenes.

    ``lower`` truncates (times and quantities cannot be negative). Constants cost nothing.
    """

    __slots__ = ("_law", "_rng", "_buf", "_i", "_batch", "_const", "lower")

    def __init__(self, law: _Law, rng: np.random.Generator | None, batch: int = 256,
                 lower: float = 0.0) -> None:
        self._law = law
        self._rng = rng
        self._batch = batch
        self.lower = lower
        self._const = max(law.mean(), lower) if law.is_constant else None
        self._buf: list[float] = []
        self._i = 0

    @property
    def mean(self) -> float:
        return self._law.mean()

    def __call__(self) -> float:
        if self._const is not None:
            return self._const
        if self._i >= len(self._buf):
            assert self._rng is not None
            self._buf = np.maximum(self._law.sample(self._rng, self._batch), self.lower).tolist()
            self._i = 0
        v = self._buf[self._i]
        self._i += 1
        return v


class Uniforms:
    """Uniform(0, 1) draws one at a time from a batch (Bernoulli trials: damage, reliability)."""

    __slots__ = ("_rng", "_buf", "_i")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            self._buf = self._rng.random(512).tolist()
            self._i = 0
        v = self._buf[self._i]
        self._i += 1
        return v
