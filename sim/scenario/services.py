"""The services a scenario may describe, each a named instance with its own capacity.

- ``community_response``: a team that visits at home (UCR, same-day home visiting).
- ``hub``: a clinical hub that ambulance crews phone before conveying (call before convey),
  and that a demand source may call for advice (care homes), with a route for calls not
  answered.
- ``ambulance``: 999 calls, response, on-scene outcome.
- ``virtual_ward`` and ``intermediate_care``: pools of beds or caseload slots, with
  step-up (from the community) and step-down (from acute beds).
- ``ed``: the emergency department, where the decision to admit is made.
- ``acute``: acute beds, with short stays counted apart and discharge pathways.
- ``outcome``: a counted way out with no capacity.

Routes are splits naming other services (or ``home``): the network is data. Each
kind's model says, through the methods of :class:`ServiceSpec`, which of its keys
route patients where and what else it must satisfy; :mod:`sim.scenario.checks` applies
those rules to every kind alike. Kinds are registered in :mod:`sim.kinds`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, field_validator

from sim.scenario.distributions import Distribution, Fixed, Uniform
from sim.scenario.types import (
    HOME,
    MAX_CAPACITY,
    ByCohort,
    Capacity,
    Frozen,
    Split,
    parse_days,
    parse_hours,
)

if TYPE_CHECKING:
    from sim.scenario.checks import Checker

__all__ = [
    "ANY_ROUTABLE",
    "HUB_DESTINATIONS",
    "ON_SCENE_OUTCOMES",
    "AcuteBeds",
    "Ambulance",
    "BedPool",
    "ClinicalHub",
    "CommunityResponse",
    "EmergencyDepartment",
    "IntermediateCare",
    "Outcome",
    "ServiceSpec",
    "Staffed",
    "VirtualWard",
]

ON_SCENE_OUTCOMES = ("treated", "call_before_convey", "convey")

ANY_ROUTABLE: tuple[str, ...] = ()
"""In a routing rule: any kind whose model ``takes_patients``."""
HUB_DESTINATIONS: tuple[str, ...] = ("*hub",)
"""In a routing rule: any kind whose model is a ``hub_destination``."""

Route = tuple[str, dict[str, float], tuple[str, ...]]
"""A split of a service's table: (key, destination → share, kinds allowed)."""
Link = tuple[str, str, tuple[str, ...]]
"""A single-target key of a service's table: (key, target, kinds allowed)."""


class ServiceSpec(Frozen):
    """What every kind of service in a scenario file has: a ``kind``, and routing rules.

    A kind's model subclasses this, narrows ``kind`` to its own ``Literal`` and
    overrides the methods that apply to it. The rules are read by
    :mod:`sim.scenario.checks` (is every route to a service of a kind that can take the
    patient; is there a way out) and by the engine (which routes reach each service).
    """

    kind: str

    takes_patients: ClassVar[bool] = True
    """Whether routes may send patients here."""
    hub_destination: ClassVar[bool] = False
    """Whether a clinical hub may divert patients here."""
    ends_journeys: ClassVar[bool] = False
    """A patient sent here has a way out (a counted outcome; a hub hands the patient back
    to the crew)."""
    holds_until_taken: ClassVar[bool] = False
    """A patient it sends on stays with it until the next service takes them (an acute
    bed's step-down), so a full target needs no ``when_full`` for its patients."""
    replaced_whole: ClassVar[frozenset[str]] = frozenset()
    """Keys of this kind's table that a file which ``extends`` another replaces whole."""
    takes_demand: ClassVar[bool] = False
    """Whether a demand source may send its patients here though routes may not (a hub
    that answers calls from care homes, say)."""
    on_patient_paths: ClassVar[bool] = True
    """Whether patients pass through it (so it must be reached and have a way out); False
    for a service that acts on the population instead (a proactive caseload team)."""

    def routes(self) -> list[Route]:
        """Every split that sends patients on: (key, split, kinds allowed)."""
        return []

    def links(self) -> list[Link]:
        """Every single-target reference: (key, target, kinds allowed)."""
        return []

    def forwards(self) -> list[str]:
        """Targets that receive this service's patients under the route they came by
        (a full pool sends them on as they were sent to it)."""
        return []

    def sends_home(self) -> bool:
        """Whether some patients leave from here for home without a route saying so."""
        return False

    def check(self, path: tuple[str, ...], checker: Checker) -> None:
        """The kind's own rules beyond its schema (reported through ``checker``)."""

    def check_network(self, path: tuple[str, ...], checker: Checker) -> None:
        """Rules that need the whole network (run once routes are known to be sound)."""

    def unlimited(self) -> str | None:
        """Why this service's capacity cannot be priced per unit (it is unlimited), as the
        end of a sentence about it, or None (see ``[costs.capacity]``)."""
        return None


class Staffed(ServiceSpec):
    """Clinicians on duty by hour of the week: ``staff`` in ``open_hours`` on ``open_days``,
    or a 168-value ``roster``. A visit or call in progress at the end of a shift finishes
    (overtime); none starts off shift."""

    staff: int | None = Field(
        None,
        ge=0,
        le=MAX_CAPACITY,
        description="clinicians on duty in open hours (or give a roster instead)",
    )
    open_hours: str = Field("00-24", description="daily hours of service, e.g. '08-20'")
    open_days: str = Field("mon-sun", description="days of service, e.g. 'mon-fri' or 'sat,sun'")
    roster: list[Capacity] | None = Field(
        None,
        min_length=168,
        max_length=168,
        description="clinicians on duty in each hour of the week from Monday 00:00 (instead of staff)",
    )

    @field_validator("open_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        parse_hours(v)
        return v

    @field_validator("open_days")
    @classmethod
    def _days(cls, v: str) -> str:
        parse_days(v)
        return v

    def check(self, path: tuple[str, ...], checker: Checker) -> None:
        if self.staff is not None and self.roster is not None:
            checker.add(path + ("roster",), "give staff or roster, not both")
        if self.staff is None and self.roster is None:
            checker.add(
                path + ("staff",), "is required (clinicians on duty), unless a roster is given"
            )


class CommunityResponse(Staffed):
    """A team that visits patients at home: urgent community response, same-day home visiting.

    Referrals queue first come, first served and are visited by the next free
    clinician on shift. A patient not reached within ``patience_hours`` escalates
    through ``escalation``; after a visit the patient goes by ``after_visit``.
    """

    kind: Literal["community_response"]
    visit_minutes: Distribution = Field(description="visit length, travel included, in minutes")
    target_hours: float = Field(
        2.0, gt=0, description="response standard, hours from referral to visit"
    )
    patience_hours: float | None = Field(
        None,
        gt=0,
        description="longest wait before the patient escalates (none: waits indefinitely)",
    )
    escalation: Split | None = Field(
        None, description="where a patient not reached in time goes (needed with patience_hours)"
    )
    after_visit: Split = Field(
        default_factory=lambda: {HOME: 1.0}, description="where patients go after the visit"
    )

    hub_destination: ClassVar[bool] = True
    replaced_whole: ClassVar[frozenset[str]] = frozenset({"escalation", "after_visit"})

    def routes(self) -> list[Route]:
        out: list[Route] = [("after_visit", self.after_visit, ANY_ROUTABLE)]
        if self.escalation is not None:
            out.append(("escalation", self.escalation, ANY_ROUTABLE))
        return out

    def check(self, path: tuple[str, ...], checker: Checker) -> None:
        super().check(path, checker)
        if self.patience_hours is not None and self.escalation is None:
            checker.add(path + ("escalation",), "is required when patience_hours is set")


class ClinicalHub(Staffed):
    """Call before convey: a clinical hub (single point of access) that crews phone.

    A crew on scene phones the hub. If a clinician answers within the crew's
    ``max_wait_minutes`` and accepts the patient, and the chosen destination can take
    the patient now, the patient is not conveyed; otherwise the crew conveys. A demand
    source may call the hub too (care home staff asking for advice instead of calling
    999): the same rules decide, and a call not diverted goes to ``not_answered_to``.
    """

    kind: Literal["hub"]
    call_minutes: Distribution = Field(description="length of a call with a crew, in minutes")
    max_wait_minutes: float = Field(
        15.0, gt=0, description="longest a crew waits for an answer before conveying"
    )
    accept_probability: float = Field(
        0.8,
        ge=0,
        le=1,
        description="share of answered calls where the clinician accepts an alternative to conveyance",
    )
    destinations: Split = Field(
        default_factory=lambda: {HOME: 1.0},
        description="where accepted patients go: community teams, virtual wards, intermediate care, or home (advice)",
    )
    not_answered_to: str | None = Field(
        None,
        description="for calls from a demand source (care home staff asking for advice, say): "
        "where the call goes when it is not answered in time, not accepted, the destination "
        "cannot take the patient, or no clinician is on shift (e.g. 'ambulance'); required "
        "when a demand source calls the hub",
    )

    takes_patients: ClassVar[bool] = False
    takes_demand: ClassVar[bool] = True
    ends_journeys: ClassVar[bool] = True
    replaced_whole: ClassVar[frozenset[str]] = frozenset({"destinations"})

    def routes(self) -> list[Route]:
        return [("destinations", self.destinations, HUB_DESTINATIONS)]

    def links(self) -> list[Link]:
        if self.not_answered_to is None:
            return []
        return [("not_answered_to", self.not_answered_to, ANY_ROUTABLE)]

    def check_network(self, path: tuple[str, ...], checker: Checker) -> None:
        callers = [n for n, src in checker.scenario.demand.items() if src.to == path[-1]]
        if callers and self.not_answered_to is None:
            names = ", ".join(f"demand.{n}" for n in callers)
            checker.add(
                path + ("not_answered_to",),
                f"is required: {names} call(s) the hub; say where a call goes when it is not "
                "answered in time or not accepted (e.g. 'ambulance')",
            )


class Ambulance(ServiceSpec):
    """999 calls: a response, an assessment on scene, then treated on scene, call before
    convey (through ``hub``) or conveyed to ``convey_to``. Vehicles are unlimited unless
    ``fleet`` is given; with a fleet, calls wait for a free vehicle, first come first served."""

    kind: Literal["ambulance"]
    response_minutes: Distribution = Field(
        description="from call to arrival on scene (with a free vehicle), minutes"
    )
    on_scene_minutes: Distribution = Field(
        default_factory=lambda: Fixed(dist="fixed", mean=0.0),
        description="assessment and treatment on scene, minutes",
    )
    convey_minutes: Distribution = Field(
        default_factory=lambda: Fixed(dist="fixed", mean=0.0),
        description="travel to hospital and handover for a conveyed patient, minutes",
    )
    fleet: int | None = Field(None, ge=0, le=MAX_CAPACITY, description="vehicles (none: unlimited)")
    on_scene: Split = Field(
        description="outcome of the assessment: treated (on scene), call_before_convey, convey"
    )
    on_scene_by_cohort: dict[str, Split] = Field(
        default_factory=dict,
        description="the on_scene split for particular cohorts, where it differs",
    )
    hub: str | None = Field(None, description="the hub crews phone for call before convey")
    convey_to: str = Field("ed", description="the emergency department conveyed patients go to")

    replaced_whole: ClassVar[frozenset[str]] = frozenset({"on_scene"})

    def unlimited(self) -> str | None:
        return "has unlimited vehicles (no fleet)" if self.fleet is None else None

    def links(self) -> list[Link]:
        out: list[Link] = [("convey_to", self.convey_to, ("ed", "outcome"))]
        if self.hub is not None:
            out.append(("hub", self.hub, ("hub",)))
        return out

    def sends_home(self) -> bool:
        return self.on_scene.get("treated", 0) > 0

    def check(self, path: tuple[str, ...], checker: Checker) -> None:
        choices = ", ".join(ON_SCENE_OUTCOMES)
        for key in self.on_scene:
            if key not in ON_SCENE_OUTCOMES:
                tail = checker.hint(key, list(ON_SCENE_OUTCOMES))
                checker.add(
                    path + ("on_scene", key),
                    f"unknown on-scene outcome {key!r}; choose from {choices}{tail}",
                )
        checker.cohorts(path + ("on_scene_by_cohort",), self.on_scene_by_cohort, complete=False)
        for cohort, split in self.on_scene_by_cohort.items():
            for key in split:
                if key not in ON_SCENE_OUTCOMES:
                    checker.add(
                        path + ("on_scene_by_cohort", cohort, key),
                        f"unknown on-scene outcome {key!r}; choose from {choices}",
                    )
        splits = [self.on_scene, *self.on_scene_by_cohort.values()]
        if any(s.get("call_before_convey", 0) > 0 for s in splits) and self.hub is None:
            checker.add(path + ("hub",), "is required when on_scene has call_before_convey")


class _BedPoolFields(ServiceSpec):
    beds: int | None = Field(
        None, ge=0, le=MAX_CAPACITY, description="beds or caseload slots (none: unlimited)"
    )
    los_days: Distribution = Field(description="length of stay, in days")
    when_full: str | None = Field(
        None, description="where a step-up patient goes when no bed is free (e.g. 'ed' or 'acute')"
    )
    at_end: Split = Field(
        default_factory=lambda: {HOME: 1.0},
        description="where patients go at the end of their stay",
    )
    initial_occupancy: int = Field(
        0, ge=0, le=MAX_CAPACITY, description="patients already in at the start of the run"
    )

    hub_destination: ClassVar[bool] = True
    replaced_whole: ClassVar[frozenset[str]] = frozenset({"at_end"})

    def routes(self) -> list[Route]:
        return [("at_end", self.at_end, ANY_ROUTABLE)]

    def unlimited(self) -> str | None:
        return "has unlimited beds (no beds)" if self.beds is None else None

    def links(self) -> list[Link]:
        return [] if self.when_full is None else [("when_full", self.when_full, ANY_ROUTABLE)]

    def forwards(self) -> list[str]:
        return [] if self.when_full is None else [self.when_full]

    def check(self, path: tuple[str, ...], checker: Checker) -> None:
        checker.initial_occupancy(path, self.beds, self.initial_occupancy)

    def check_network(self, path: tuple[str, ...], checker: Checker) -> None:
        if self.beds is None or self.when_full is not None:
            return
        senders = checker.step_up_senders(path[-1])
        if senders:
            checker.add(
                path + ("when_full",),
                f"is required: {', '.join(senders)} step(s) patients up into it and it has "
                f"{self.beds} beds",
            )


class VirtualWard(_BedPoolFields):
    """A virtual ward (hospital at home). Step-up patients come from community services
    and the hub; step-down patients from acute beds. Full: a step-up patient goes by
    ``when_full``; a step-down patient stays in the acute bed until a slot frees."""

    kind: Literal["virtual_ward"]


class IntermediateCare(_BedPoolFields):
    """Intermediate care, bed-based or at home (reablement): step-up and step-down
    (discharge to assess). Full: a step-up patient goes by ``when_full``; a step-down
    patient waits in the acute bed (a delayed discharge)."""

    kind: Literal["intermediate_care"]
    setting: Literal["bed", "home"] = Field("bed", description="bed-based, or at home (reablement)")


BedPool = VirtualWard | IntermediateCare


class EmergencyDepartment(ServiceSpec):
    """The emergency department: attendances by route, and the decision to admit."""

    kind: Literal["ed"]
    admission_probability: ByCohort = Field(
        description="probability an attendance is admitted: one number, or one per cohort"
    )
    admission_by_route: dict[str, ByCohort] = Field(
        default_factory=dict,
        description="admission probability for patients sent by a particular service or demand source",
    )
    admission_by_source: dict[str, ByCohort] = Field(
        default_factory=dict,
        description="admission probability for patients whose need came from a particular demand source "
        "(takes precedence over admission_by_route)",
    )
    admit_to: str = Field("acute", description="the acute beds admitted patients go to")

    replaced_whole: ClassVar[frozenset[str]] = frozenset({"admission_probability"})

    def links(self) -> list[Link]:
        return [("admit_to", self.admit_to, ("acute", "outcome"))]

    def sends_home(self) -> bool:
        return True  # those not admitted

    def check(self, path: tuple[str, ...], checker: Checker) -> None:
        if isinstance(self.admission_probability, dict):
            checker.cohorts(path + ("admission_probability",), self.admission_probability, True)
        for route, prob in self.admission_by_route.items():
            checker.route_name(path + ("admission_by_route", route), route)
            if isinstance(prob, dict):
                checker.cohorts(path + ("admission_by_route", route), prob, complete=True)
        checker.by_source(path + ("admission_by_source",), self.admission_by_source)


class AcuteBeds(ServiceSpec):
    """Acute hospital beds. Admissions are short stays (0–1 day) with
    ``short_stay_probability``, otherwise stay ``los_days``; at discharge the patient
    goes by ``discharge`` (home, or step-down to intermediate care or a virtual ward,
    waiting in the bed while that service is full), after the pathway's
    ``discharge_delay_days`` if it has one. With finite ``beds``, patients wait (board)
    in the ED for a bed."""

    kind: Literal["acute"]
    beds: int | None = Field(None, ge=0, le=MAX_CAPACITY, description="beds (none: unlimited)")
    short_stay_probability: ByCohort = Field(
        0.0, description="share of admissions that are short stays: one number, or one per cohort"
    )
    short_stay_by_source: dict[str, ByCohort] = Field(
        default_factory=dict,
        description="short-stay share for patients whose need came from a particular demand source",
    )
    short_stay_days: Distribution = Field(
        default_factory=lambda: Uniform(dist="uniform", low=0.0, high=1.0),
        description="length of a short stay, in days",
    )
    los_days: Distribution = Field(description="length of stay of the other admissions, in days")
    short_stay_max_days: float = Field(
        2.0,
        gt=0,
        description="a stay shorter than this counts in admissions.short_stay (0–1 day: under 2 midnights)",
    )
    discharge: Split = Field(
        default_factory=lambda: {HOME: 1.0},
        description="discharge pathways: home (P0) or step-down services (P1–P3)",
    )
    discharge_delay_days: dict[str, Distribution] = Field(
        default_factory=dict,
        description="for a discharge pathway, days from ready to leave until the discharge is arranged "
        "(assessment, a care package or placement, transport): the patient stays in the bed, a delayed "
        "discharge; any wait for a full step-down service comes after",
    )
    initial_occupancy: int = Field(
        0, ge=0, le=MAX_CAPACITY, description="patients already in at the start of the run"
    )

    holds_until_taken: ClassVar[bool] = True
    replaced_whole: ClassVar[frozenset[str]] = frozenset({"discharge", "short_stay_probability"})

    def routes(self) -> list[Route]:
        return [("discharge", self.discharge, ANY_ROUTABLE)]

    def unlimited(self) -> str | None:
        return "has unlimited beds (no beds)" if self.beds is None else None

    def check(self, path: tuple[str, ...], checker: Checker) -> None:
        if isinstance(self.short_stay_probability, dict):
            checker.cohorts(path + ("short_stay_probability",), self.short_stay_probability, True)
        for pathway in self.discharge_delay_days:
            if pathway not in self.discharge:
                checker.add(
                    path + ("discharge_delay_days", pathway),
                    checker.unknown(pathway, list(self.discharge), "discharge pathway"),
                )
        checker.by_source(path + ("short_stay_by_source",), self.short_stay_by_source)
        checker.initial_occupancy(path, self.beds, self.initial_occupancy)


class Outcome(ServiceSpec):
    """A way out of the modelled network that is counted but has no capacity (e.g. a
    care home, or a service not modelled in detail)."""

    kind: Literal["outcome"]
    description: str = Field("", description="what this outcome means")

    hub_destination: ClassVar[bool] = True
    ends_journeys: ClassVar[bool] = True
