"""Reproduce a published estimate: an experiment's counterfactual and scenario compared,
paired, and each published figure set against the model's interval (``nhsim reproduce``).

The experiment file names the two scenarios and a ``[published]`` table: metric (or
``avoided.<metric>``) = the published value a year, or ``reduction.<metric>`` = the share
of the counterfactual's avoided (a published "14% fewer"). Each figure is reported with the
model's mean and 95% interval, the relative error, and whether the published value
falls inside the interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim.runs.backends import Backend
from sim.runs.compare import Comparison, compare
from sim.runs.experiment_file import Experiment, experiment_error
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import display_path

__all__ = ["PublishedFigure", "Reproduction", "published_figures", "reproduce"]


@dataclass(frozen=True)
class PublishedFigure:
    """A published figure against the model."""

    figure: str
    published: float
    model_mean: float
    ci_low: float
    ci_high: float

    @property
    def relative_error(self) -> float:
        """(model − published) ÷ published."""
        return (self.model_mean - self.published) / self.published if self.published else math.nan

    @property
    def inside(self) -> bool:
        """Whether the published value falls inside the model's 95% interval."""
        return self.ci_low <= self.published <= self.ci_high


@dataclass(frozen=True)
class Reproduction:
    experiment: Experiment
    comparison: Comparison
    figures: list[PublishedFigure]


def published_figures(exp: Experiment, comparison: Comparison) -> list[PublishedFigure]:
    """Each figure of the experiment's ``[published]`` table against the comparison."""
    out = []
    for figure, value in exp.published.items():
        iv = comparison.figure(figure)
        out.append(PublishedFigure(figure, value, iv.mean, iv.ci_low, iv.ci_high))
    return out


def reproduce(
    exp: Experiment,
    replications: int | None = None,
    backend: Backend | None = None,
    progress: Callable[[int], None] | None = None,
) -> Reproduction:
    """Run the experiment's counterfactual and scenario paired, and set the published
    figures against them. Raises :class:`ScenarioError` if the experiment has no
    counterfactual or no ``[published]`` table."""
    if not exp.published or not exp.counterfactual:
        raise ScenarioError(
            [
                Problem(
                    display_path(Path(exp.path)),
                    "",
                    "reproduce needs a counterfactual and a [published] table",
                )
            ]
        )
    scenario = exp.base_scenario()
    try:
        counterfactual = exp.counterfactual_source().scenario()
    except ScenarioError as err:
        raise experiment_error(exp, err) from None
    n = replications or exp.replications
    comparison = compare(counterfactual, scenario, n, exp.seed, progress=progress, backend=backend)
    return Reproduction(exp, comparison, published_figures(exp, comparison))
