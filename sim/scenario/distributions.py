"""Probability distributions for durations, parameterised the way analysts think.

Every distribution is a small frozen pydantic model, written in a scenario file as an
inline table such as ``{ dist = "lognormal", mean = 90, sd = 40 }``. Each knows its
theoretical ``mean`` and ``variance`` (so one generic test checks all of them) and
draws a block of values at once with :meth:`sample` (drawing in blocks is an order of
magnitude cheaper than one call per value).

Values are in the unit named by the scenario key that holds the distribution
(``visit_minutes`` → minutes, ``los_days`` → days); the engine converts to hours.

Parameters are checked for what the samplers can do with them: ``nan`` and ``inf`` are
refused, means, bounds and values are at most :data:`MAX_VALUE`, a standard deviation at
most :data:`MAX_SD`, and the sd of a lognormal or gamma is from :data:`MIN_CV` to
:data:`MAX_CV` times its mean (outside that range the parameters numpy is given
overflow or underflow: a gamma's shape becomes 0, a lognormal's sigma infinite).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.scenario.errors import describe_number
from sim.scenario.types import MAX_WEIGHT

__all__ = [
    "DIST_NAMES",
    "MAX_CV",
    "MAX_SD",
    "MAX_VALUE",
    "MIN_CV",
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Triangular",
    "Uniform",
]


MAX_VALUE = 1e7
"""The largest mean, bound or value of a distribution, in the unit of its key (1e7
minutes is 19 years; 1e7 days 27,000): far beyond any stay or visit, well within the
precision of the engine's clock."""
MAX_SD = 1e7
"""The largest standard deviation of a distribution, in the unit of its key."""
MIN_CV = 1e-9
"""The smallest sd / mean of a lognormal or gamma (a gamma's shape is (mean/sd)²)."""
MAX_CV = 1e9
"""The largest sd / mean of a lognormal or gamma (a lognormal's sigma² is log(1 + (sd/mean)²))."""

Value = Annotated[float, Field(le=MAX_VALUE)]
"""A mean, bound or value of a distribution."""


def _check_cv(mean: float, sd: float) -> None:
    """Refuse a coefficient of variation the sampler's parameters cannot hold."""
    cv = sd / mean
    if not MIN_CV <= cv <= MAX_CV:
        raise ValueError(
            f"needs sd/mean from {describe_number(MIN_CV)} to {describe_number(MAX_CV)}, "
            f"got mean={describe_number(mean)}, sd={describe_number(sd)} "
            f"(sd/mean = {describe_number(cv)})"
        )


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def variance(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class Fixed(_Dist):
    """Always the same value."""

    dist: Literal["fixed"]
    mean_: float = Field(alias="mean", ge=0, le=MAX_VALUE, description="the value")

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.mean_, dtype=float)


class Exponential(_Dist):
    """Memoryless; sd equals the mean. The queueing-theory default."""

    dist: Literal["exponential"]
    mean_: float = Field(alias="mean", gt=0, le=MAX_VALUE, description="mean")

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.mean_**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)


class Lognormal(_Dist):
    """Right-skewed, given by its own mean and sd (not those of the underlying normal)."""

    dist: Literal["lognormal"]
    mean_: float = Field(alias="mean", gt=0, le=MAX_VALUE, description="mean")
    sd: float = Field(gt=0, le=MAX_SD, description="standard deviation")

    @model_validator(mode="after")
    def _cv(self) -> Any:
        _check_cv(self.mean_, self.sd)
        return self

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.sd**2

    def _normal_params(self) -> tuple[float, float]:
        sigma2 = math.log(1.0 + (self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - sigma2 / 2.0, math.sqrt(sigma2)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        mu, sigma = self._normal_params()
        return rng.lognormal(mu, sigma, size)


class Gamma(_Dist):
    """Given by mean and sd: shape = (mean/sd)^2, scale = sd^2/mean."""

    dist: Literal["gamma"]
    mean_: float = Field(alias="mean", gt=0, le=MAX_VALUE, description="mean")
    sd: float = Field(gt=0, le=MAX_SD, description="standard deviation")

    @model_validator(mode="after")
    def _cv(self) -> Any:
        _check_cv(self.mean_, self.sd)
        return self

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.sd**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = (self.mean_ / self.sd) ** 2
        return rng.gamma(shape, self.sd**2 / self.mean_, size)


class Triangular(_Dist):
    """Between low and high, most often near mode; mean = (low + mode + high) / 3."""

    dist: Literal["triangular"]
    low: float = Field(ge=0, le=MAX_VALUE, description="smallest value")
    mode: float = Field(ge=0, le=MAX_VALUE, description="most likely value")
    high: float = Field(gt=0, le=MAX_VALUE, description="largest value")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                f"needs low <= mode <= high and low < high, got low={self.low}, "
                f"mode={self.mode}, high={self.high}"
            )
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return ((b - a) ** 2 - (c - a) * (b - c)) / 18.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, size)


class Uniform(_Dist):
    """Equally likely anywhere between low and high."""

    dist: Literal["uniform"]
    low: float = Field(ge=0, le=MAX_VALUE, description="smallest value")
    high: float = Field(gt=0, le=MAX_VALUE, description="largest value")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"needs low < high, got low={self.low}, high={self.high}")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2.0

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


class Empirical(_Dist):
    """Observed values, drawn with the given weights (equal weights if none are given)."""

    dist: Literal["empirical"]
    values: list[Value] = Field(min_length=1, description="observed values (>= 0)")
    weights: list[Annotated[float, Field(le=MAX_WEIGHT)]] | None = Field(
        default=None, description="relative weights, one per value (default: equal)"
    )

    @model_validator(mode="after")
    def _check(self) -> Empirical:
        if any(v < 0 for v in self.values):
            raise ValueError("values must all be >= 0")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"needs one weight per value, got {len(self.weights)} weights "
                    f"for {len(self.values)} values"
                )
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be >= 0 and not all zero")
        return self

    def _probabilities(self) -> np.ndarray:
        if self.weights is None:
            return np.full(len(self.values), 1.0 / len(self.values))
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    @property
    def mean(self) -> float:
        return float(np.dot(self._probabilities(), self.values))

    @property
    def variance(self) -> float:
        p, v = self._probabilities(), np.asarray(self.values, dtype=float)
        m = float(np.dot(p, v))
        return float(np.dot(p, (v - m) ** 2))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size=size, p=self._probabilities())


Distribution = Annotated[
    Fixed | Exponential | Lognormal | Gamma | Triangular | Uniform | Empirical,
    Field(discriminator="dist"),
]
"""Any of the distributions, chosen by the ``dist`` key."""

DIST_NAMES = ("fixed", "exponential", "lognormal", "gamma", "triangular", "uniform", "empirical")
