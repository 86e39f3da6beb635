"""Scenario files: read, merge, override, validate. Knows nothing of SimPy or the engine."""

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import load_scenario, parse_override, scenario_from_dict
from sim.scenario.model import Scenario

__all__ = [
    "Problem",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "parse_override",
    "scenario_from_dict",
]
