"""Checks across a validated scenario: the network holds together.

Every route names a service that exists (or ``home``) and of a kind that can take
patients from there; per-cohort values name the population's cohorts; each kind's own
rules hold (a staffed service has a staff count or a roster, a patience has an
escalation route, …); no service sends patients to itself; every service is reached by
some demand or route; every patient has a way out; and the demand expects no more
arrivals in a replication than the engine can hold (:data:`~sim.scenario.types.MAX_ARRIVALS`).

The rules of each kind come from its model (:class:`~sim.scenario.services.ServiceSpec`:
``routes``, ``links``, ``check``, ``check_network`` and its class flags), found through
the registry of kinds, so nothing here names a kind.
"""

from __future__ import annotations

from typing import Any

from sim import registry
from sim.scenario.appraisal import check_costs
from sim.scenario.errors import Problem, closest, describe_number
from sim.scenario.messages import source_of
from sim.scenario.model import HOME, Scenario
from sim.scenario.services import ANY_ROUTABLE, HUB_DESTINATIONS
from sim.scenario.types import MAX_ARRIVALS, MIN_WEIGHT

__all__ = [
    "Checker",
    "allowed_kinds",
    "check_scenario",
    "expected_arrivals",
    "links_of",
    "routes_of",
]

DAYS_PER_YEAR = 365
"""Days in the engine's year (rates are per year)."""

Path = tuple[str, ...]


def allowed_kinds(rule: tuple[str, ...]) -> tuple[str, ...]:
    """The kinds a routing rule admits: named kinds, or any kind that takes patients
    (``ANY_ROUTABLE``), or any a hub may divert to (``HUB_DESTINATIONS``)."""
    if rule == ANY_ROUTABLE:
        return tuple(k.name for k in registry.kinds() if k.model.takes_patients)
    if rule == HUB_DESTINATIONS:
        return tuple(k.name for k in registry.kinds() if k.model.hub_destination)
    return rule


def routes_of(scenario: Scenario) -> list[tuple[Path, dict[str, float], tuple[str, ...]]]:
    """Every split that sends patients to services: key path, split, kinds allowed."""
    return [
        (("services", name, key), split, allowed_kinds(rule))
        for name, svc in scenario.services.items()
        for key, split, rule in svc.routes()
    ]


def links_of(scenario: Scenario) -> list[tuple[Path, str, tuple[str, ...]]]:
    """Every single-target reference: key path, target, kinds allowed."""
    return [
        (("services", name, key), target, allowed_kinds(rule))
        for name, svc in scenario.services.items()
        for key, target, rule in svc.links()
    ]


class Checker:
    """Collects the problems of one scenario; what each kind's ``check`` reports through."""

    def __init__(self, scenario: Scenario, provenance: dict[Path, str], default: str) -> None:
        self.scenario = scenario
        self.problems: list[Problem] = []
        self._provenance = provenance
        self._default = default
        self._cohorts = list(scenario.population.cohorts)
        self._succ: dict[str, set[str]] = {}

    def add(self, path: Path, message: str, whole: bool = False) -> None:
        """A problem at ``path``, named with the file the key came from (or, if ``whole``,
        with the scenario being read: a problem of several keys that may come from
        different files)."""
        source = self._default if whole else source_of(path, self._provenance, self._default)
        self.problems.append(Problem(source, ".".join(path), message))

    @staticmethod
    def hint(name: str, allowed: list[str]) -> str:
        """``"; did you mean 'x'?"`` when a close name exists, else ``""``."""
        near = closest(name, allowed)
        return f"; did you mean '{near}'?" if near else ""

    @staticmethod
    def unknown(target: str, allowed: list[str], what: str) -> str:
        near = closest(target, allowed)
        tail = f"; did you mean '{near}'?" if near else f"; known: {', '.join(allowed)}"
        return f"unknown {what} {target!r}{tail}"

    def target(self, path: Path, target: str, kinds: tuple[str, ...], allow_home: bool) -> None:
        """``target`` names a service of one of ``kinds`` (or ``home`` if allowed)."""
        services = self.scenario.services
        if target == HOME:
            if not allow_home:
                self.add(path, "cannot be 'home' here")
            return
        svc = services.get(target)
        names = [n for n, s in services.items() if s.kind in kinds]
        if svc is None:
            self.add(path, self.unknown(target, ([HOME] if allow_home else []) + names, "service"))
        elif svc.kind not in kinds:
            self.add(
                path,
                f"{target!r} is a {svc.kind} service; expected one of kind: {', '.join(kinds)}",
            )

    def cohorts(self, path: Path, values: dict[str, Any], complete: bool) -> None:
        """The keys of ``values`` are cohorts of the population (all of them if ``complete``)."""
        cohorts = self._cohorts
        for cohort in values:
            if cohort not in cohorts:
                self.add(path + (cohort,), self.unknown(cohort, cohorts, "cohort"))
        absent = [c for c in cohorts if c not in values]
        if complete and absent:
            names = ", ".join(repr(c) for c in absent)
            self.add(path, f"has no value for cohort{'s' * (len(absent) > 1)} {names}")

    def route_name(self, path: Path, route: str) -> None:
        """``route`` names a service or a demand source (a route patients can come by)."""
        names = set(self.scenario.demand) | set(self.scenario.services)
        if route not in names:
            self.add(path, self.unknown(route, sorted(names), "service or demand source"))

    def by_source(self, path: Path, table: dict[str, Any]) -> None:
        """A table keyed by demand source, each value one number or one per cohort."""
        demand = self.scenario.demand
        for src, prob in table.items():
            if src not in demand:
                self.add(path + (src,), self.unknown(src, sorted(demand), "demand source"))
            if isinstance(prob, dict):
                self.cohorts(path + (src,), prob, complete=True)

    def initial_occupancy(self, path: Path, beds: int | None, occupied: int) -> None:
        if beds is not None and occupied > beds:
            self.add(path + ("initial_occupancy",), f"must be <= beds ({beds}), got {occupied}")

    def step_up_senders(self, name: str) -> list[str]:
        """Services (other than acute beds' step-down) and demand sources that send
        patients into ``name`` at once, who need somewhere to go when it is full."""
        services = self.scenario.services
        senders = [
            n
            for n, targets in self._succ.items()
            if name in targets and not services[n].holds_until_taken
        ]
        senders += [f"demand.{n}" for n, src in self.scenario.demand.items() if src.to == name]
        return senders


def expected_arrivals(scenario: Scenario) -> float:
    """The expected number of arrivals of one replication: rate × cohort size over the
    warm-up and the measured period, summed over the demand sources.

    The profiles have a mean of 1 over the week and the year, so they leave the total
    of whole weeks and years unchanged (a partial week or year is near enough)."""
    population = scenario.population
    per_year = 0.0
    for src in scenario.demand.values():
        rate = src.rate_per_1000
        for cohort, share in population.cohorts.items():
            per_1000 = rate.get(cohort, 0.0) if isinstance(rate, dict) else rate
            per_year += population.size * share * per_1000 / 1000.0
    return per_year * scenario.horizon_days / DAYS_PER_YEAR


def _check_arrivals(scenario: Scenario, checker: Checker) -> None:
    expected = expected_arrivals(scenario)
    if expected > MAX_ARRIVALS:
        checker.add(
            ("demand",),
            f"expects {describe_number(expected)} arrivals a replication over "
            f"{scenario.horizon_days:,.10g} days; the limit is "
            f"{describe_number(MAX_ARRIVALS)} (lower the rates, the population or run.days)",
            whole=True,  # of the rates, the population and the run length together
        )


def _check_demand(scenario: Scenario, checker: Checker) -> None:
    routable = tuple(
        k.name for k in registry.kinds() if k.model.takes_patients or k.model.takes_demand
    )
    for src_name, src in scenario.demand.items():
        base = ("demand", src_name)
        checker.target(base + ("to",), src.to, routable, allow_home=False)
        if isinstance(src.rate_per_1000, dict):
            checker.cohorts(base + ("rate_per_1000",), src.rate_per_1000, complete=True)
        if src.hour_of_week is not None and (
            src.hour_of_day is not None or src.day_of_week is not None
        ):
            checker.add(
                base + ("hour_of_week",), "give hour_of_week or hour_of_day/day_of_week, not both"
            )
        for key in ("hour_of_day", "day_of_week", "hour_of_week", "month_of_year"):
            weights = getattr(src, key)
            if weights is not None and sum(weights) <= 0:
                checker.add(base + (key,), "must have at least one weight above 0")
            elif weights is not None and max(weights) < MIN_WEIGHT:
                checker.add(
                    base + (key,),
                    f"its largest weight must be at least {describe_number(MIN_WEIGHT)} "
                    f"(profiles are multiplied and normalised), got {describe_number(max(weights))}",
                )


def _successors(scenario: Scenario) -> dict[str, set[str]]:
    """Where each service can send patients (``home`` included)."""
    succ: dict[str, set[str]] = {n: set() for n in scenario.services}
    for path, split, _ in routes_of(scenario):
        succ[path[1]].update(split)
    for path, target, _ in links_of(scenario):
        succ[path[1]].add(target)
    for name, svc in scenario.services.items():
        if svc.sends_home():
            succ[name].add(HOME)
    return succ


def _check_graph(scenario: Scenario, checker: Checker, succ: dict[str, set[str]]) -> None:
    """Every service is reached, and from every service a patient can get out."""
    services = scenario.services
    reached = {src.to for src in scenario.demand.values()}
    frontier = list(reached)
    while frontier:
        n = frontier.pop()
        for m in succ.get(n, ()):
            if m != HOME and m not in reached:
                reached.add(m)
                frontier.append(m)
    for name, spec in services.items():
        if name not in reached and spec.on_patient_paths:
            checker.add(
                ("services", name),
                "is never reached: no demand source or route sends patients to it",
            )

    exits = {n for n, s in services.items() if s.ends_journeys}
    changed = True
    while changed:
        changed = False
        for n, targets in succ.items():
            if n not in exits and any(t == HOME or t in exits for t in targets):
                exits.add(n)
                changed = True
    for name, spec in services.items():
        if name not in exits and spec.on_patient_paths:
            checker.add(
                ("services", name),
                "has no way out: every route from it leads back into the network without "
                "reaching home or an outcome",
            )


SELF_ROUTE = "a service cannot send patients to itself"


def check_scenario(
    scenario: Scenario, data: dict[str, Any], provenance: dict[Path, str], default: str
) -> list[Problem]:
    """Every problem of the network as a whole, each naming its file and key path."""
    checker = Checker(scenario, provenance, default)
    _check_demand(scenario, checker)
    _check_arrivals(scenario, checker)
    for path, split, kinds in routes_of(scenario):
        for target in split:
            if target == path[1]:
                checker.add(path + (target,), SELF_ROUTE)
            else:
                checker.target(path + (target,), target, kinds, allow_home=True)
    for path, target, kinds in links_of(scenario):
        if target == path[1]:
            checker.add(path, SELF_ROUTE)
        else:
            checker.target(path, target, kinds, allow_home=path[-1] == "when_full")
    for name, svc in scenario.services.items():
        svc.check(("services", name), checker)
    check_costs(scenario, checker)
    if checker.problems:
        return checker.problems

    checker._succ = succ = _successors(scenario)
    _check_graph(scenario, checker, succ)
    for name, svc in scenario.services.items():
        svc.check_network(("services", name), checker)
    return checker.problems
