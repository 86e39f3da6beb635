"""Uncertain inputs: what is known about the true value of a scenario key.

A scenario's numbers are single values, many of them assumptions with a plausible
range in a comment. An uncertain input says what that range is, as a distribution of
the key's *value* (not of the visits or stays the key describes): in an experiment's
``[uncertainty]`` table,

    "services.ucr.patience_hours" = { dist = "triangular", low = 2, mode = 4, high = 8, source = "assumption" }

Each input turns points of the unit interval into values by its inverse distribution
function (:meth:`value`), so a space-filling design on the unit cube (Sobol points, a
Latin hypercube) becomes a design of parameter sets. ``uniform`` and ``triangular``
suit ranges, ``beta`` shares (by mean and sd, or alpha and beta), ``lognormal`` and
``gamma`` positive quantities with a long right tail, and ``dirichlet`` a whole split
whose shares must keep summing to 1. One share of a split may instead be uncertain
alone, with ``rest`` naming the share that takes 1 minus the others. ``also`` sets
other keys to the same value (one assumption that applies to several cohorts).

Every input says where its range comes from (``source``: a publication, local data, or
"assumption"). A range of zero width (``low = high``, ``sd = 0``) is allowed: the key
keeps that one value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sim.scenario.errors import describe_number

__all__ = [
    "UNCERTAIN_DISTS",
    "Uncertain",
    "UncertainBeta",
    "UncertainDirichlet",
    "UncertainGamma",
    "UncertainLognormal",
    "UncertainTriangular",
    "UncertainUniform",
]

UNCERTAIN_DISTS = ("uniform", "triangular", "beta", "lognormal", "gamma", "dirichlet")
"""The distributions an uncertain input may have."""

EDGE = 1e-12
"""Unit points are kept this far inside (0, 1), where every inverse distribution is finite."""

_HALF_WIDTH = 0.975
"""The upper quantile of the 95% range an input's description gives."""


def _unit(u: float) -> float:
    return min(max(float(u), EDGE), 1.0 - EDGE)


class _Input(BaseModel):
    """What every uncertain input has: where its range comes from, and how it is set."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False, populate_by_name=True
    )

    source: str = Field(
        min_length=1,
        description='where the range comes from: a publication, local data, or "assumption"',
    )
    rest: str | None = Field(
        None,
        description="for one share of a split: the share of the same split that takes 1 minus the others",
    )
    also: list[str] = Field(
        default_factory=list,
        description="other key paths set to the same value (one assumption for several cohorts)",
    )

    def width(self) -> int:
        """Unit-cube coordinates the input takes from a design (a Dirichlet takes one a share)."""
        return 1

    def value(self, u: Sequence[float]) -> Any:  # pragma: no cover - overridden
        """The value at unit point(s) ``u`` (``width()`` of them)."""
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - overridden
        """The distribution in a few words, e.g. ``triangular 2 to 8, mode 4``."""
        raise NotImplementedError

    @property
    def fixed(self) -> bool:
        """A range of zero width: every draw is the same value."""
        return False

    def central_range(self) -> tuple[float, float]:
        """The 2.5% and 97.5% points of a one-column input (for tables and figures)."""
        return float(self.value([1 - _HALF_WIDTH])), float(self.value([_HALF_WIDTH]))


class UncertainUniform(_Input):
    """Any value from low to high, equally likely: a range and nothing more."""

    dist: Literal["uniform"]
    low: float = Field(description="smallest value")
    high: float = Field(description="largest value")

    @model_validator(mode="after")
    def _ordered(self) -> UncertainUniform:
        if self.low > self.high:
            raise ValueError(f"needs low <= high, got low={self.low:g}, high={self.high:g}")
        return self

    def value(self, u: Sequence[float]) -> float:
        return self.low + _unit(u[0]) * (self.high - self.low)

    def describe(self) -> str:
        return f"uniform {describe_number(self.low)} to {describe_number(self.high)}"

    @property
    def fixed(self) -> bool:
        return self.low == self.high


class UncertainTriangular(_Input):
    """From low to high, most likely near mode: a range with a best guess."""

    dist: Literal["triangular"]
    low: float = Field(description="smallest value")
    mode: float = Field(description="most likely value")
    high: float = Field(description="largest value")

    @model_validator(mode="after")
    def _ordered(self) -> UncertainTriangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError(
                f"needs low <= mode <= high, got low={self.low:g}, mode={self.mode:g}, "
                f"high={self.high:g}"
            )
        return self

    def value(self, u: Sequence[float]) -> float:
        a, c, b = self.low, self.mode, self.high
        if a == b:
            return a
        p, split = _unit(u[0]), (c - a) / (b - a)
        if p < split:
            return a + math.sqrt(p * (b - a) * (c - a))
        return b - math.sqrt((1 - p) * (b - a) * (b - c))

    def describe(self) -> str:
        return (
            f"triangular {describe_number(self.low)} to {describe_number(self.high)}, "
            f"mode {describe_number(self.mode)}"
        )

    @property
    def fixed(self) -> bool:
        return self.low == self.high


class UncertainBeta(_Input):
    """A share between 0 and 1: by its mean and sd, or by alpha and beta."""

    dist: Literal["beta"]
    mean_: float | None = Field(None, alias="mean", gt=0, lt=1, description="mean share")
    sd: float | None = Field(None, ge=0, description="standard deviation of the share")
    alpha: float | None = Field(None, gt=0, description="first shape (with beta)")
    beta: float | None = Field(None, gt=0, description="second shape (with alpha)")

    @model_validator(mode="after")
    def _one_pair(self) -> UncertainBeta:
        by_mean = self.mean_ is not None or self.sd is not None
        by_shape = self.alpha is not None or self.beta is not None
        if by_mean == by_shape:
            raise ValueError("give either mean and sd, or alpha and beta")
        if by_mean and (self.mean_ is None or self.sd is None):
            raise ValueError("give both mean and sd")
        if by_shape and (self.alpha is None or self.beta is None):
            raise ValueError("give both alpha and beta")
        if by_mean:
            m, sd = self.mean_, self.sd
            assert m is not None and sd is not None
            most = math.sqrt(m * (1 - m))
            if sd >= most:
                raise ValueError(
                    f"needs sd < sqrt(mean × (1 - mean)) = {most:.4g} for a beta "
                    f"distribution, got mean={m:g}, sd={sd:g}"
                )
        return self

    def shapes(self) -> tuple[float, float] | None:
        """(alpha, beta), or None for an sd of zero (always the mean)."""
        if self.alpha is not None and self.beta is not None:
            return self.alpha, self.beta
        m, sd = self.mean_, self.sd
        assert m is not None and sd is not None
        if sd == 0:
            return None
        k = m * (1 - m) / sd**2 - 1
        return m * k, (1 - m) * k

    def value(self, u: Sequence[float]) -> float:
        from scipy import stats

        shapes = self.shapes()
        if shapes is None:
            assert self.mean_ is not None
            return self.mean_
        return float(stats.beta.ppf(_unit(u[0]), *shapes))

    def describe(self) -> str:
        if self.alpha is not None:
            return (
                f"beta alpha {describe_number(self.alpha)}, beta {describe_number(self.beta or 0)}"
            )
        return f"beta mean {describe_number(self.mean_ or 0)}, sd {describe_number(self.sd or 0)}"

    @property
    def fixed(self) -> bool:
        return self.shapes() is None


class _MeanSd(_Input):
    mean_: float = Field(alias="mean", gt=0, description="mean")
    sd: float = Field(ge=0, description="standard deviation")

    @model_validator(mode="after")
    def _spread(self) -> _MeanSd:
        if self.sd > 1e3 * self.mean_:
            raise ValueError(f"needs sd <= 1000 × mean, got mean={self.mean_:g}, sd={self.sd:g}")
        return self

    @property
    def fixed(self) -> bool:
        return self.sd == 0


class UncertainLognormal(_MeanSd):
    """A positive quantity with a long right tail, by its own mean and sd."""

    dist: Literal["lognormal"]

    def value(self, u: Sequence[float]) -> float:
        from scipy import stats

        if self.sd == 0:
            return self.mean_
        sigma2 = math.log(1.0 + (self.sd / self.mean_) ** 2)
        mu = math.log(self.mean_) - sigma2 / 2.0
        return float(math.exp(mu + math.sqrt(sigma2) * stats.norm.ppf(_unit(u[0]))))

    def describe(self) -> str:
        return f"lognormal mean {describe_number(self.mean_)}, sd {describe_number(self.sd)}"


class UncertainGamma(_MeanSd):
    """A positive quantity (a rate, a length of stay), by mean and sd."""

    dist: Literal["gamma"]

    def value(self, u: Sequence[float]) -> float:
        from scipy import stats

        if self.sd == 0:
            return self.mean_
        shape = (self.mean_ / self.sd) ** 2
        return float(stats.gamma.ppf(_unit(u[0]), shape, scale=self.sd**2 / self.mean_))

    def describe(self) -> str:
        return f"gamma mean {describe_number(self.mean_)}, sd {describe_number(self.sd)}"


class UncertainDirichlet(_Input):
    """A whole split (shares summing to 1): by ``alpha`` for each share, or by the mean
    shares and a ``concentration`` (their sum of alphas: larger is surer)."""

    dist: Literal["dirichlet"]
    alpha: dict[str, Annotated[float, Field(gt=0)]] | None = Field(
        None, description="the concentration of each share"
    )
    mean_: dict[str, Annotated[float, Field(gt=0, lt=1)]] | None = Field(
        None, alias="mean", description="the mean share of each destination (summing to 1)"
    )
    concentration: float | None = Field(
        None, gt=0, description="with mean: the sum of the alphas (each alpha = mean × this)"
    )

    @model_validator(mode="after")
    def _one_way(self) -> UncertainDirichlet:
        if self.rest is not None or self.also:
            raise ValueError("rest and also are for one share; a dirichlet sets the whole split")
        if (self.alpha is None) == (self.mean_ is None):
            raise ValueError("give either alpha, or mean and concentration")
        if self.mean_ is not None:
            if self.concentration is None:
                raise ValueError("give concentration with mean")
            total = sum(self.mean_.values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"mean must sum to 1, got {total:.6g}")
        elif self.concentration is not None:
            raise ValueError("concentration goes with mean, not with alpha")
        if len(self.alphas()) < 2:
            raise ValueError("needs at least two shares")
        return self

    def width(self) -> int:
        return len(self.alphas())

    def alphas(self) -> dict[str, float]:
        if self.alpha is not None:
            return dict(self.alpha)
        assert self.mean_ is not None and self.concentration is not None
        return {k: m * self.concentration for k, m in self.mean_.items()}

    def value(self, u: Sequence[float]) -> dict[str, float]:
        from scipy import stats

        alphas = self.alphas()
        draws = np.array(
            [stats.gamma.ppf(_unit(p), a) for p, a in zip(u, alphas.values())], dtype=float
        )
        total = float(draws.sum())
        if not total > 0:  # every gamma quantile underflowed: the mean shares
            draws, total = np.array(list(alphas.values())), sum(alphas.values())
        return {k: float(d / total) for k, d in zip(alphas, draws)}

    def describe(self) -> str:
        alphas = self.alphas()
        total = sum(alphas.values())
        means = ", ".join(f"{k} {a / total:.2g}" for k, a in alphas.items())
        return f"dirichlet ({means}), concentration {describe_number(total)}"

    def central_range(self) -> tuple[float, float]:
        return math.nan, math.nan


def _known_dist(value: Any) -> Any:
    """An unknown or missing ``dist`` named with the distributions an input may have; a
    missing ``source`` said what it is for."""
    if isinstance(value, dict):
        dist = value.get("dist")
        if dist not in UNCERTAIN_DISTS:
            names = ", ".join(UNCERTAIN_DISTS)
            if dist is None:
                raise ValueError(f"needs a dist key: one of {names}")
            raise ValueError(f"unknown distribution {dist!r}; choose one of: {names}")
        if "source" not in value:
            raise ValueError(
                'needs a source: where the range comes from (a publication, local data, or "assumption")'
            )
    return value


Uncertain = Annotated[
    UncertainUniform
    | UncertainTriangular
    | UncertainBeta
    | UncertainLognormal
    | UncertainGamma
    | UncertainDirichlet,
    Field(discriminator="dist"),
    BeforeValidator(_known_dist),
]
"""An uncertain input, chosen by its ``dist`` key."""
