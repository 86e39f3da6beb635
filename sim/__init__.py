"""nhsim: a discrete-event simulation of urgent and intermediate community care.

How many ambulance conveyances and emergency admissions do community services avoid,
and how does that change with their capacity? The public API:

- :func:`load_scenario` — read and validate a scenario file (TOML)
- :func:`simulate` — one replication → ``dict`` of named metrics
- :func:`run` — many replications, in parallel → :class:`Results`
- :func:`compare` — a counterfactual and a scenario, paired → :class:`Comparison`
"""

from sim import kinds as _kinds  # noqa: F401  (registers the built-in kinds of service)
from sim.runs.compare import Comparison, compare
from sim.runs.replications import Results, run, simulate
from sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "Comparison",
    "Results",
    "Scenario",
    "ScenarioError",
    "compare",
    "load_scenario",
    "run",
    "simulate",
]
__version__ = "0.1.0"
