"""A new kind of service, written and registered here, runs end to end.

This is the recipe of ``docs/architecture.md`` ("A new kind of service") carried out:
a fixed-delay ``transport`` step (a patient transport service taking people on to a
named service after a journey) needs its scenario model, its engine class, its metrics
function and one registration, and no change to the engine's core, the scenario
checks or the metrics module. The tests check that it is validated like the built-in
kinds, runs through :func:`sim.simulate`, reports its metrics, and conserves patients.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
import simpy
from conftest import REPO_ROOT, Recorder
from pydantic import Field

from sim import registry, simulate
from sim.engine import run_replication
from sim.engine.patient import Patient
from sim.engine.service import BuildContext, Entry, Network, Service, ServiceTally
from sim.metrics import Period
from sim.registry import Kind
from sim.scenario import ScenarioError, load_scenario, scenario_from_dict
from sim.scenario.checks import Checker
from sim.scenario.services import ANY_ROUTABLE, Link, ServiceSpec

# -- the new kind: scenario model, engine class, tally, metrics ---------------------------


class Transport(ServiceSpec):
    """A patient transport service: each patient is taken to ``to`` after ``minutes``."""

    kind: Literal["transport"]
    minutes: float = Field(gt=0, description="length of each journey, in minutes")
    to: str = Field(description="the service patients are taken to")

    hub_destination: ClassVar[bool] = True

    def links(self) -> list[Link]:
        return [("to", self.to, ANY_ROUTABLE)]

    def check(self, path: tuple[str, ...], checker: Checker) -> None:
        if self.minutes > 24 * 60:
            checker.add(
                path + ("minutes",), f"a journey over a day is not transport, got {self.minutes:g}"
            )


@dataclass
class TransportTally(ServiceTally):
    trips: int
    travelling_hours: float


class TransportService(Service):
    """One event per journey: its end, when the patient enters the next service."""

    kind = "transport"

    def __init__(self, env: simpy.Environment, name: str, spec: Transport) -> None:
        self.env = env
        self.name = name
        self.to = spec.to
        self.hours = spec.minutes / 60.0
        self.on_board = 0
        self._next: Entry | None = None
        self.reset(0.0)

    @classmethod
    def build(cls, name: str, spec: Transport, context: BuildContext) -> Service:
        return cls(context.env, name, spec)

    def wire(self, network: Network) -> None:
        self._next = network.entry_point(self.to, self.kind)

    def entry(self) -> Entry:
        return self.board

    def reset(self, now: float) -> None:
        self.trips = 0
        self.travelling = 0.0
        self.in_system_start = self.on_board

    def board(self, patient: Patient) -> None:
        self.trips += 1
        self.on_board += 1
        self.travelling += self.hours
        self.env.timeout(self.hours, patient).callbacks.append(self._arrive)

    def _arrive(self, ev: Any) -> None:
        self.on_board -= 1
        patient: Patient = ev.value
        patient.via = self.name
        assert self._next is not None
        self._next(patient)

    @property
    def holding(self) -> int:
        return self.on_board

    def finish(self, now: float) -> TransportTally:
        return TransportTally(
            in_system_start=self.in_system_start,
            in_system_end=self.on_board,
            trips=self.trips,
            travelling_hours=self.travelling,
        )


def transport_metrics(name: str, t: TransportTally, period: Period, out: dict[str, float]) -> None:
    out[f"{name}.trips"] = t.trips * period.per_year
    out[f"{name}.travelling_hours"] = t.travelling_hours * period.per_year


TRANSPORT = Kind("transport", Transport, TransportService.build, transport_metrics)


@pytest.fixture
def transport() -> Iterator[Kind]:
    """The kind registered for the test, and removed after it."""
    registry.register(TRANSPORT)
    try:
        yield TRANSPORT
    finally:
        registry.unregister("transport")


# -- a scenario that uses it ------------------------------------------------------------


def scenario_data(**transport: Any) -> dict[str, Any]:
    return {
        "name": "transport",
        "run": {"days": 60, "warmup_days": 5},
        "population": {"size": 50000},
        "demand": {"referrals": {"to": "ucr", "rate_per_1000": 20}},
        "services": {
            "ucr": {
                "kind": "community_response",
                "staff": 2,
                "visit_minutes": {"dist": "exponential", "mean": 60},
                "after_visit": {"home": 0.6, "taxi": 0.4},
            },
            "taxi": {"kind": "transport", "minutes": 45.0, "to": "ed"} | transport,
            "ed": {"kind": "outcome"},
        },
    }


def test_the_new_kind_runs_through_simulate_and_reports_its_metrics(transport: Kind) -> None:
    scenario = scenario_from_dict(scenario_data())
    metrics = simulate(scenario, 11)
    assert metrics["taxi.trips"] > 0
    # every trip takes 45 minutes
    assert metrics["taxi.travelling_hours"] == pytest.approx(metrics["taxi.trips"] * 0.75)
    # the team sent them, and they reached the ED (a trip across the end is still on board)
    assert metrics["ucr.after_visit.taxi"] == metrics["taxi.trips"]
    assert 0 <= metrics["taxi.trips"] - metrics["ed.arrivals"] <= 2 * 365 / 60


def test_the_new_kind_conserves_patients(transport: Kind) -> None:
    log = Recorder()
    tally = run_replication(scenario_from_dict(scenario_data()), 3, log)
    assert tally.kinds["taxi"] == "transport"
    assert isinstance(tally.services["taxi"], TransportTally)
    assert tally.patients == tally.exited + tally.in_system_end
    # the ED saw each patient once, as sent by the transport
    assert len(log.of("ed", "arrived")) > 0


def test_the_new_kind_is_validated_like_the_others(transport: Kind) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(scenario_data(minutes=-5.0, speed=3), "t.toml")
    lines = [str(p) for p in err.value.problems]
    assert "t.toml: services.taxi.speed: unknown key; valid keys here: minutes, to" in lines
    assert "t.toml: services.taxi.minutes: must be > 0, got -5" in lines

    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(scenario_data(to="edd"), "t.toml")
    assert [str(p) for p in err.value.problems] == [
        "t.toml: services.taxi.to: unknown service 'edd'; did you mean 'ed'?"
    ]

    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(scenario_data(minutes=2000.0), "t.toml")
    assert [str(p) for p in err.value.problems] == [
        "t.toml: services.taxi.minutes: a journey over a day is not transport, got 2000"
    ]


def test_without_its_registration_the_kind_is_unknown() -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(scenario_data(), "t.toml")
    (problem,) = err.value.problems
    assert problem.path == "services.taxi.kind"
    assert problem.message.startswith("unknown kind 'transport'; choose one of: community_response")


def test_a_hub_may_divert_to_it_and_its_table_can_be_overridden(
    transport: Kind, tmp_path: Path
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        textwrap.dedent(
            """
            [run]
            days = 20
            warmup_days = 1
            [population]
            size = 10000
            [demand.calls]
            to = "taxi"
            rate_per_1000 = 5
            [services.taxi]
            kind = "transport"
            minutes = 30.0
            to = "ed"
            [services.ed]
            kind = "outcome"
            """
        ),
        encoding="utf-8",
    )
    scenario = load_scenario(path, ["services.taxi.minutes=90.0"])
    assert scenario.services["taxi"].minutes == 90.0  # type: ignore[union-attr]


def test_the_core_knows_no_kind_by_name() -> None:
    """No ``isinstance`` dispatch by kind outside each kind's own module."""
    kinds = "CommunityResponse|BedPool|Hub|Ambulance|Acute|EmergencyDepartment|Outcome"
    proc = subprocess.run(
        ["grep", "-rnE", rf"isinstance\(.*({kinds})", "sim/"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout == "", proc.stdout


def test_registering_a_name_twice_is_refused(transport: Kind) -> None:
    other = dataclasses.replace(TRANSPORT, metrics=lambda *a: None)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(other)
    assert sys.modules["sim.registry"].get("transport") is TRANSPORT
