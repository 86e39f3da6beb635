"""Named random streams from one seed: common random numbers by construction.

A run has one seed. Each replication gets its own seed, spawned from the run's seed
with :class:`numpy.random.SeedSequence` (so replication *r* is the same whatever the
number of workers). Inside a replication every purpose — each source's arrivals,
each service's durations, each routing decision — draws from its own generator,
keyed by **name** (never by position), so that adding a service or changing one
service's capacity does not shift any other draw.

Draws are made in blocks (a NumPy call per few thousand values) and handed out one
at a time by :class:`BlockSampler` and :class:`ChoiceSampler`; the hot path of the
engine costs a list index, not a NumPy call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["replication_seeds", "Streams", "BlockSampler", "ChoiceSampler"]

BLOCK = 4096


def replication_seeds(seed: int, replications: int) -> list[int]:
    """The seed of each replication of a run: spawned from ``seed``, independent of workers."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(c.generate_state(1, np.uint64)[0]) for c in children]


def _name_key(name: str) -> int:
    """A stable 64-bit integer for a stream name (independent of Python's hash seed)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


class Streams:
    """The named generators of one replication."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._cache: dict[str, np.random.Generator] = {}

    def generator(self, name: str) -> np.random.Generator:
        """The generator for purpose ``name``; the same name always gives the same stream."""
        gen = self._cache.get(name)
        if gen is None:
            seq = np.random.SeedSequence(self.seed, spawn_key=(_name_key(name),))
            gen = self._cache[name] = np.random.Generator(np.random.PCG64(seq))
        return gen

    def sampler(
        self, name: str, draw: Callable[[np.random.Generator, int], np.ndarray], scale: float = 1.0
    ) -> "BlockSampler":
        """A one-at-a-time sampler over ``draw`` on stream ``name``, values times ``scale``."""
        return BlockSampler(self.generator(name), draw, scale)

    def choice(self, name: str, probabilities: Sequence[float]) -> "ChoiceSampler":
        """A sampler of indices with the given probabilities, on stream ``name``."""
        return ChoiceSampler(self.generator(name), probabilities)


class BlockSampler:
    """Hands out values one at a time from blocks drawn in one NumPy call."""

    __slots__ = ("_rng", "_draw", "_scale", "_buf", "_i")

    def __init__(
        self,
        rng: np.random.Generator,
        draw: Callable[[np.random.Generator, int], np.ndarray],
        scale: float = 1.0,
    ) -> None:
        self._rng = rng
        self._draw = draw
        self._scale = scale
        self._buf: list[float] = []
        self._i = 0

    def _refill(self) -> None:
        block = self._draw(self._rng, BLOCK)
        if self._scale != 1.0:
            block = block * self._scale
        self._buf = block.tolist()
        self._i = 0

    def __call__(self) -> float:
        i = self._i
        if i >= len(self._buf):
            self._refill()
            i = 0
        self._i = i + 1
        return self._buf[i]


class ChoiceSampler(BlockSampler):
    """Hands out category indices (0..k-1) with fixed probabilities, drawn in blocks
    (a block of uniforms mapped through the cumulative probabilities)."""

    __slots__ = ()

    def __init__(self, rng: np.random.Generator, probabilities: Sequence[float]) -> None:
        p = np.asarray(probabilities, dtype=float)
        cum = np.cumsum(p / p.sum())
        cum[-1] = 1.0
        super().__init__(rng, lambda g, n: np.searchsorted(cum, g.random(n), side="right"))
