"""The tables of an experiment file that ``nhsim uncertainty`` reads besides its inputs.

- ``[sampling]``: how the parameter sets are drawn (``sobol`` points, a
  ``latin_hypercube``, or a ``saltelli`` scheme for model-free Sobol indices), how many,
  the replications of the comparison at the base values, and the bootstrap resamples
  behind the indices' intervals.
- ``[decision]``: what a decision rests on: the value put on an admission avoided
  (net benefit = willingness to pay × admissions avoided − net cost), the numbers of
  avoided conveyances or admissions the investment should reach, and standards.

The inputs themselves are the ``[uncertainty]`` table (:mod:`sim.scenario.uncertain`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from sim.scenario.types import Frozen

__all__ = ["MAX_PARAMETER_SETS", "MAX_SETS", "Decision", "Sampling", "Standard"]

MAX_SETS = 16_384
"""The most base rows of a design (2^14): every set's replications are kept in memory."""
MAX_PARAMETER_SETS = 100_000
"""The most parameter sets of one analysis (a Saltelli design runs rows × (inputs + 2))."""


def _power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


class Sampling(Frozen):
    """How the parameter sets of an uncertainty analysis are drawn."""

    method: Literal["sobol", "latin_hypercube", "saltelli"] = Field(
        "sobol",
        description="scrambled Sobol points, a Latin hypercube, or the Saltelli scheme "
        "(sets × (inputs + 2) parameter sets, for model-free indices)",
    )
    sets: int = Field(
        128,
        ge=8,
        le=MAX_SETS,
        description="parameter sets (for saltelli: base rows, each run inputs + 2 times); "
        "a power of 2 for sobol and saltelli",
    )
    base_replications: int = Field(
        20,
        ge=2,
        le=10_000,
        description="paired replications of the comparison at the base values (the stochastic-only interval)",
    )
    bootstrap: int = Field(
        1000, ge=100, le=100_000, description="bootstrap resamples for the indices' intervals"
    )

    @field_validator("sets")
    @classmethod
    def _balanced(cls, sets: int, info: ValidationInfo) -> int:
        method = info.data.get("method", "sobol")
        if method != "latin_hypercube" and not _power_of_two(sets):
            lower = 1 << (sets.bit_length() - 1)
            raise ValueError(
                f"a {method} design needs a power of 2 (e.g. {lower} or {2 * lower}), "
                f'got {sets}; or use method = "latin_hypercube"'
            )
        return sets


class Standard(Frozen):
    """A standard that a parameter set meets when its mean meets it."""

    metric: str = Field(description="metric name, e.g. ucr.seen_within_target")
    at_least: float | None = Field(None, description="met when the metric is >= this")
    at_most: float | None = Field(None, description="met when the metric is <= this")

    @model_validator(mode="after")
    def _one(self) -> Standard:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of at_least or at_most")
        return self

    @property
    def level(self) -> float:
        """The standard's level (at least or at most)."""
        return self.at_least if self.at_least is not None else float(self.at_most or 0.0)

    def met(self, value: float) -> bool:
        if self.at_least is not None:
            return value >= self.at_least
        return value <= self.at_most  # type: ignore[operator]

    def met_all(self, values: np.ndarray) -> np.ndarray:
        """:meth:`met` of each value (NaN values are not met)."""
        if self.at_least is not None:
            return np.asarray(values >= self.at_least)
        return np.asarray(values <= self.at_most)

    def describe(self) -> str:
        return (
            f"{self.metric} >= {self.at_least:g}"
            if self.at_least is not None
            else f"{self.metric} <= {self.at_most:g}"
        )


class Decision(Frozen):
    """What the decision between the counterfactual and the scenario rests on."""

    willingness_to_pay: float = Field(
        0.0,
        ge=0,
        le=1e7,
        description="£ a year the system would pay to avoid one admission, beyond the costs "
        "saved: net benefit = this × admissions avoided − net cost",
    )
    avoided_at_least: dict[str, float] = Field(
        default_factory=dict,
        description="metric = number: the chance that the scenario avoids at least this many a year",
    )
    standards: list[Standard] = Field(
        default_factory=list, description="standards: the chance that each side meets them"
    )
