"""The built-in kinds of service, one registration each.

Each registration ties a ``kind`` of scenario file to its scenario model (with its
routing rules), its engine class, its metrics function, the cost items it counts, the
network totals it adds to and the capacity it holds, as priced in
``[costs.capacity.<svc>]`` (see :mod:`sim.registry`). Registration order is the
order kinds are listed in messages and in the scenario reference.
"""

from __future__ import annotations

from sim import metrics
from sim.engine.ambulance import AmbulanceService
from sim.engine.beds import BedPoolService
from sim.engine.community import CommunityResponseTeam
from sim.engine.hospital import AcuteService, EmergencyDepartmentService
from sim.engine.hub import Hub
from sim.engine.outcome import OutcomeCounter
from sim.engine.proactive import CaseloadTeam
from sim.registry import Kind, register
from sim.scenario import services
from sim.scenario.proactive import ProactiveCare

__all__ = ["BUILT_IN"]

BUILT_IN = [
    Kind(
        "community_response",
        services.CommunityResponse,
        CommunityResponseTeam.build,
        metrics.community_metrics,
        cost_items={"community_visit": "seen"},
        capacity={"per_staffed_hour": "staffed_hours", "per_wte_year": "wte"},
    ),
    Kind(
        "hub",
        services.ClinicalHub,
        Hub.build,
        metrics.hub_metrics,
        cost_items={"hub_call": "answered_in_time"},
        capacity={"per_staffed_hour": "staffed_hours", "per_wte_year": "wte"},
    ),
    Kind(
        "ambulance",
        services.Ambulance,
        AmbulanceService.build,
        metrics.ambulance_metrics,
        cost_items={"conveyance": "conveyances", "ambulance_call": "calls"},
        capacity={"per_vehicle_hour": "vehicle_hours_available"},
    ),
    Kind(
        "virtual_ward",
        services.VirtualWard,
        BedPoolService.build,
        metrics.bed_pool_metrics,
        cost_items={"virtual_ward_day": "bed_days"},
        capacity={"per_bed_day": "bed_days_available"},
    ),
    Kind(
        "intermediate_care",
        services.IntermediateCare,
        BedPoolService.build,
        metrics.bed_pool_metrics,
        cost_items={"intermediate_care_day": "bed_days"},
        capacity={"per_bed_day": "bed_days_available"},
    ),
    Kind(
        "ed",
        services.EmergencyDepartment,
        EmergencyDepartmentService.build,
        metrics.ed_metrics,
        cost_items={"ed_attendance": "attendances"},
        totals={"unplanned.hospital_visits": "attendances"},
    ),
    Kind(
        "acute",
        services.AcuteBeds,
        AcuteService.build,
        metrics.acute_metrics,
        cost_items={"admission": "admissions", "acute_bed_day": "bed_days"},
        capacity={"per_bed_day": "bed_days_available"},
        totals={
            "admissions.total": "admissions",
            "admissions.short_stay": "short_stays",
            "acute.bed_days": "bed_days",
            "acute.delayed_discharge_days": "delayed_discharge_days",
            "acute.step_down_wait_days": "step_down_wait_days",
            "unplanned.hospital_visits": "direct_admissions",
        },
    ),
    Kind("outcome", services.Outcome, OutcomeCounter.build, metrics.outcome_metrics),
    Kind(
        "proactive_care",
        ProactiveCare,
        CaseloadTeam.build,
        metrics.caseload_metrics,
        cost_items={"review": "reviews"},
        capacity={"per_staffed_hour": "staffed_hours", "per_wte_year": "wte"},
    ),
]

for _kind in BUILT_IN:
    register(_kind)
