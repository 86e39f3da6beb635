"""Scenario files: read, merge, override, validate. Knows nothing of SimPy or the engine."""

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import load_scenario, parse_override, scenario_from_dict
from sim.scenario.model import Scenario

__all__ = ["load_scenario", "scenario_from_dict", "parse_override", "Scenario", "ScenarioError", "Problem"]
