"""Guided exercises for a class, on ``configs/teaching.toml``.

Each exercise changes one thing in the teaching scenario. Its button sets the Explore
view up with that change (and nothing else), so that pressing Run compares the file as
it is with the change, on the same random numbers. The numbers in ``what_to_see`` are
rounded from the app's default run (10 replications, the file's seed 42).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXERCISES", "TEACHING_FILE", "Exercise"]

TEACHING_FILE = "teaching.toml"
"""The scenario the exercises use, in ``configs/``."""


@dataclass(frozen=True)
class Exercise:
    title: str
    change: str
    """What to change, in words."""
    values: dict[str, Any] = field(default_factory=dict)
    """The page's values for the change: scenario key → value."""
    what_to_see: str = ""
    question: str = ""
    button: str = "Set it up"


EXERCISES = (
    Exercise(
        title="1. One clinician or two",
        change="Give the UCR team a second clinician on duty, 8am to 8pm "
        "(`ucr: clinicians on duty` from 1 to 2).",
        values={"services.ucr.staff": 2},
        what_to_see="The share of patients reached within 2 hours rises from about 78% to "
        "about 92%, and waits fall from about 47 minutes to 11. About 17 conveyances and 13 "
        "ED attendances a year are avoided, but the admissions avoided have an interval that "
        "includes 0. The occupancy chart hardly moves.",
        question="A second clinician halves the team's workload, so why are only about a third "
        "of the escalations avoided? (Look at when referrals arrive and when the team works: "
        "a patient referred at 9pm waits for the morning.) And why do conveyances fall so much "
        "more than admissions?",
        button="Set up: two clinicians",
    ),
    Exercise(
        title="2. Opening hours: 8am to 8pm, or around the clock",
        change="Keep one clinician, but open the team 24 hours a day "
        "(`ucr: opening hours` from 08-20 to 00-24).",
        values={"services.ucr.open_hours": "00-24"},
        what_to_see="Escalations almost vanish (from about 149 a year to 7), so about 47 "
        "conveyances and 15 admissions a year are avoided: more than a second daytime "
        "clinician avoids. Yet the share reached within 2 hours rises less, to about 88%, and "
        "the clinician is busy only about 27% of the time.",
        question="Which buys more for patients: a second clinician by day or one around the "
        "clock? Both add 4,380 clinician hours a year. What would you want to know before "
        "choosing (costs, night-time demand, recruitment)?",
        button="Set up: open 24 hours",
    ),
    Exercise(
        title="3. How big should the virtual ward be?",
        change="Double the small virtual ward the team steps patients up to "
        "(`virtual_ward: beds` from 2 to 4).",
        values={"services.virtual_ward.beds": 4},
        what_to_see="The UCR team's own numbers do not change at all (the same patients, on "
        "the same random numbers). With 2 beds the ward turns away about 38 patients a year, "
        "a third of those sent to it, although it is only 56% occupied on average; with 4, "
        "about 8. About 30 admissions and 170 bed days a year are avoided, while ED "
        "attendances rise a little (some ward patients go to the ED at the end of their stay).",
        question="How can a ward that is only half full on average turn away a third of its "
        "patients? Try 3 and 6 beds: what does each extra bed avoid, and where would you stop?",
        button="Set up: four beds",
    ),
)
