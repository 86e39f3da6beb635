"""The fixed parts of the board paper: the assumptions in short, and the STRESS-DES
reporting checklist filled from ``manifest.json`` and ``scenario.json``.

STRESS-DES: Monks T, Currie CSM, Onggo BS, Robinson S, Kunc M, Taylor SJE.
Strengthening the reporting of empirical simulation studies: introducing the STRESS
guidelines. Journal of Simulation 2019; 13(1): 55–67.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sim.output.report_data import ResultsFolder
from sim.output.report_format import number, pretty
from sim.output.report_scenario import differences, show

__all__ = ["ASSUMPTIONS", "STRESS_INTRO", "checklist"]

STRESS_INTRO = (
    "Reporting checklist for discrete-event simulation, after STRESS-DES (Monks et al., "
    "<i>Journal of Simulation</i> 2019; 13(1): 55–67), filled from manifest.json and "
    "scenario.json."
)

ASSUMPTIONS = """
<p>The numbers in a scenario file come from national figures and published evaluations
where they exist, and are assumptions (with a plausible range) where they do not. The
scenario file's comments give each value's source; <code>docs/model.md</code>
("Assumptions and their sources") lists them for the shipped neighbourhood of 50,000
people, in short:</p>
<ul>
<li><b>Population and demand.</b> Cohorts by frailty (electronic frailty index: Clegg et
al., <i>Age and Ageing</i> 2016); 999 calls of about 152 per 1,000 people a year (AACE
2024), higher for frail people; UCR referrals of about 1,530 per 100,000 a year (NHS
Providers 2023), 86% aged 65 and over; same-day home visiting from Team Up Derbyshire's
visits (NHS England case study); hour-of-day and winter profiles are assumptions.</li>
<li><b>Ambulance and hub.</b> Response times from national category 2 means (NHS England
2023/24); conveyance shares from the NHS Providers activity tracker and older people's
conveyance (Lofthouse-Jones et al., <i>British Paramedic Journal</i> 2021); the hub's
acceptance from call-before-convey schemes (50–80% not conveyed); its hours and call
lengths are assumptions.</li>
<li><b>Community teams.</b> UCR hours are the national minimum, 8am to 8pm (NHS England
UCR guidance 2022) with the 2-hour standard; clinicians on duty, visit lengths,
patience and escalation routes are assumptions.</li>
<li><b>Beds.</b> Intermediate care lengths of stay from the National Audit of
Intermediate Care; acute lengths of stay, short-stay shares, admission probabilities
and the times to arrange a discharge by pathway from national statistics and
assumptions, each with its range.</li>
<li><b>What is not modelled.</b> Repeat episodes of the same person, clinical detail,
ED crowding and 4-hour performance, specialties and elective work, social care as a
limited capacity, staff absence and travel geography (<code>docs/model.md</code>,
"Limits").</li>
</ul>
<p class="note">The scenario used for these results, with every default filled in, is
<code>scenario.json</code> in the results folder.</p>
"""


def _duration(manifest: dict[str, Any]) -> str:
    try:
        a = datetime.fromisoformat(str(manifest["started"]))
        b = datetime.fromisoformat(str(manifest["finished"]))
    except (KeyError, ValueError):
        return "not recorded"
    seconds = max(0.0, (b - a).total_seconds())
    took = f"{number(seconds)} s" if seconds < 120 else f"{number(seconds / 60, 1)} min"
    return f"started {a.isoformat(sep=' ')}, finished {b.isoformat(sep=' ')} ({took})"


def _streams(scenario: dict[str, Any]) -> str:
    demand = [f"demand.{d}.arrivals, demand.{d}.cohort" for d in scenario.get("demand", {})]
    services = [
        f"{s}.*"
        for s, spec in scenario.get("services", {}).items()
        if spec.get("kind") != "outcome"
    ]
    return "; ".join(demand + [", ".join(services)])


_SOFTWARE = {"python": "Python", "simpy": "SimPy", "numpy": "NumPy", "scipy": "SciPy"}


def checklist(folder: ResultsFolder) -> list[tuple[str, str]]:
    """The STRESS-DES items, each with what this study did (plain text)."""
    m = folder.manifest
    sc, cf = folder.names()
    scenario = folder.scenarios["scenario"]
    run = scenario.get("run", {})
    versions = m.get("versions", {}) or {}
    software = ", ".join(f"{_SOFTWARE.get(k, k)} {v}" for k, v in versions.items() if v)
    kinds = sorted({str(s.get("kind")) for s in scenario.get("services", {}).values()})
    initial = [
        f"{pretty(n)} {s['initial_occupancy']}"
        for n, s in scenario.get("services", {}).items()
        if s.get("initial_occupancy")
    ]
    diffs = (
        differences(folder.scenarios["counterfactual"], scenario) if folder.is_comparison else []
    )
    command = " ".join(str(c) for c in m.get("command", [])) or "not recorded"
    n = m.get("replications", "?")
    items = [
        (
            "1.1 Purpose of the model",
            "To estimate the ambulance conveyances, emergency admissions and bed days that urgent community services avoid, and how that depends on their capacity.",
        ),
        (
            "1.2 Model outputs",
            "Counts a year (conveyances, admissions, ED attendances, bed days), waits and shares seen within target, occupancy and utilisation, costs; defined in docs/reference/metrics.md, all in "
            + ("comparison.csv" if folder.is_comparison else "summary.csv")
            + ".",
        ),
        (
            "1.3 Experimentation aims",
            f"A paired comparison of {pretty(sc)} against {pretty(cf)}."
            if folder.is_comparison
            else f"The results of {pretty(sc)}.",
        ),
        ("2.1 Base model overview diagram", 'docs/model.md, "The patient flow".'),
        (
            "2.2 Base model logic",
            "Patients flow between services by the routes in the scenario file; services of kinds "
            + ", ".join(kinds)
            + '; docs/model.md, "How the engine works".',
        ),
        (
            "2.3 Scenario logic",
            "; ".join(f"{k}: {show(a)} → {show(b)}" for k, a, b in diffs[:12])
            + ("; …" if len(diffs) > 12 else "")
            if diffs
            else "One scenario (no comparison)."
            if not folder.is_comparison
            else "The two scenarios have the same settings.",
        ),
        (
            "2.4 Algorithms",
            "Arrivals: non-homogeneous Poisson processes, hourly rates, generated exactly; community teams and the hub serve first come, first served within their rosters, with patience; bed pools are loss or delay systems by route; distributions are parameterised by mean and sd.",
        ),
        (
            "2.5 Components",
            "Entities: patients, one urgent need each, in cohorts "
            + ", ".join(str(c) for c in scenario.get("population", {}).get("cohorts", {}))
            + '. Resources and queues: see "The scenario" above. Entry: the demand sources; exit: home and the outcomes.',
        ),
        (
            "3.1 Data sources",
            'docs/model.md, "Assumptions and their sources", and the comments of the scenario file.',
        ),
        (
            "3.2 Pre-processing",
            "None: rates per 1,000 people a year, profiles and distributions are given in the scenario file.",
        ),
        ("3.3 Input parameters", "scenario.json in the results folder (every default filled in)."),
        ("3.4 Assumptions", 'See "Assumptions and their sources" above.'),
        (
            "4.1 Initialisation",
            f"{number(run.get('warmup_days', 0))} days' warm-up discarded"
            + (f"; starting occupancy: {', '.join(initial)}" if initial else "")
            + ".",
        ),
        (
            "4.2 Run length",
            f"{number(run.get('days', 0))} days measured, after the warm-up; counts scaled to a year.",
        ),
        (
            "4.3 Estimation approach",
            f"{n} independent replications; 95% t-intervals"
            + (
                "; paired differences on common random numbers."
                if folder.is_comparison and m.get("paired", True)
                else "."
            ),
        ),
        (
            "5.1 Software or programming language",
            f"nhsim {m.get('nhsim_version', '?')} (git commit {m.get('git_commit') or 'not recorded'}); {software}.",
        ),
        (
            "5.2 Random sampling",
            f"Seed {m.get('seed', '?')}; replication seeds spawned with NumPy's SeedSequence; within a replication one PCG64 generator per named stream: {_streams(scenario)}.",
        ),
        (
            "5.3 Model execution",
            f"SimPy's event-driven engine; backend {m.get('backend', 'local')}; results are the same whatever the number of workers.",
        ),
        (
            "5.4 System specification",
            f"{m.get('platform', 'not recorded')}; run time: {_duration(m)}.",
        ),
        (
            "6.1 Computer model sharing statement",
            f"nhsim is open source (MIT licence). These results come from: {command}.",
        ),
    ]
    return items
