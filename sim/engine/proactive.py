"""A proactive caseload team: people on its caseload need less urgent care.

The team is a pool of places. Its occupancy is kept by cohort: a place is taken by an
eligible person of some cohort (``priority``), held for the person's stay (one event,
its end), and then offered again. The cohort's **covered share** is the people of the
cohort on the caseload ÷ its eligible people.

The team acts on demand, not on patients. Every demand source's arrivals are still
generated in full, on the same streams as without the team; each arrival of a source
with a rate ratio ``r < 1``, from a cohort with eligible people, is offered to the team
first (:meth:`CaseloadTeam.demand_filter`). It comes from a person on the caseload with
probability *on caseload in the cohort ÷ people in the cohort* (arrivals are spread
evenly over the cohort's people), and the person's need is then averted with probability
``1 − r`` (less while the person's ramp-up runs). One uniform number from the team's own
stream ``<svc>.prevent`` decides both for every such arrival, whatever the caseload, so a
scenario with the team and one without (or with a smaller caseload) are paired on
common random numbers: a larger caseload only removes more arrivals.

At the start the caseload is full (of the eligible people, if there are fewer), with
the stays found at a random moment of a long-running team (stays picked in proportion
to their length, each part-way through), so the warm-up need not fill it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from simpy.events import Timeout

from sim.engine.calendar import HOURS_PER_WEEK, HOURS_PER_YEAR
from sim.engine.level import Level
from sim.engine.roster import staffed_hours, week_roster
from sim.engine.service import BuildContext, DemandFilter, Service, ServiceTally
from sim.scenario.proactive import ProactiveCare

__all__ = ["HOURS_PER_MONTH", "CaseloadTally", "CaseloadTeam", "caseload_places"]

HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0
"""Hours in a month of the engine's 365-day year (730)."""
WEEKS_PER_MONTH = HOURS_PER_MONTH / HOURS_PER_WEEK


@dataclass
class CaseloadTally(ServiceTally):
    """What a proactive caseload team reports (it holds no patients)."""

    places: int
    """People the caseload holds at once."""
    eligible: list[int]
    """Eligible people, by cohort index."""
    person_hours: list[float]
    """Person-hours on the caseload in the measured period, by cohort index."""
    enrolled: int
    """People taken on in the measured period."""
    prevented: dict[str, int]
    """Arrivals prevented in the measured period, by demand source (every source with a
    rate ratio below 1)."""
    prevented_by_cohort: list[int]
    review_hours: float
    """Clinician-hours a person on the caseload takes a month (NaN if not given)."""
    staffed_hours: float | None
    """Clinician-hours rostered in the measured period (None: no roster)."""


def caseload_places(spec: ProactiveCare) -> int:
    """The people the caseload holds at once: ``caseload``, or the roster's clinician-hours
    in an average month ÷ the review hours a person takes a month (rounded down)."""
    if spec.caseload is not None:
        return spec.caseload
    assert spec.review_minutes is not None  # the scenario checks require it
    monthly = float(week_roster(spec).sum()) * WEEKS_PER_MONTH
    return int(monthly / (spec.review_minutes / 60.0) + 1e-9)


class _Member:
    """A person on the caseload: their cohort, when they were taken on, and whether their
    ramp-up is still running."""

    __slots__ = ("cohort", "ramping", "start")

    def __init__(self, cohort: int, start: float, ramping: bool) -> None:
        self.cohort = cohort
        self.start = start
        self.ramping = ramping


def _uniforms(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.random(n)


class CaseloadTeam(Service):
    """A caseload of places filled from the eligible people of each cohort (see the module)."""

    kind = "proactive_care"

    def __init__(self, name: str, spec: ProactiveCare, context: BuildContext) -> None:
        self.env: simpy.Environment = context.env
        self.name = name
        self.clock = context.clock
        scenario = context.scenario
        population = scenario.population
        cohorts = context.cohorts
        self.sizes = [population.size * population.cohorts[c] for c in cohorts]
        self.eligible = [
            int(size * spec.eligible.get(c, 0.0) + 1e-9) for c, size in zip(cohorts, self.sizes)
        ]
        self.places = caseload_places(spec)
        self.ramp_hours = spec.ramp_days * 24.0
        self.proportional = spec.priority == "proportional"
        risk = [_urgent_need(scenario, c) for c in cohorts]
        self.order = sorted(
            (k for k in range(len(cohorts)) if self.eligible[k] > 0), key=lambda k: (-risk[k], k)
        )
        ratios = {s: spec.ratio_of(s) for s in context.sources}
        self.effect = {s: 1.0 - r for s, r in ratios.items() if r < 1.0}
        self._stay_spec = spec.stay_days
        self._stay = context.streams.sampler(f"{name}.stay", spec.stay_days.sample, 24.0)
        self._pick = context.streams.sampler(f"{name}.enrol", _uniforms)
        self._u = context.streams.sampler(f"{name}.prevent", _uniforms)
        self._initial_rng = context.streams.generator(f"{name}.initial")
        self.review_hours = spec.review_minutes / 60.0 if spec.review_minutes else float("nan")
        rostered = spec.staff is not None or spec.roster is not None
        self._week = week_roster(spec) if rostered else None
        n = len(cohorts)
        self.on = [0] * n
        """People on the caseload now, by cohort index."""
        self.total_on = 0
        self._levels = [Level() for _ in range(n)]
        # the ramp-up: members still ramping, oldest first, and their count and start sum
        self._ramping: list[deque[_Member]] = [deque() for _ in range(n)]
        self._ramp_n = [0] * n
        self._ramp_sum = [0.0] * n
        self._leave_cb = self._leave
        self.prevented = {s: 0 for s in context.sources if s in self.effect}
        """Arrivals prevented since the warm-up, by demand source."""
        self.prevented_by_cohort = [0] * n
        self.enrolled = 0

    @classmethod
    def build(cls, name: str, spec: ProactiveCare, context: BuildContext) -> Service:
        return cls(name, spec, context)

    # -- the hook on demand ----------------------------------------------------------
    def demand_filter(self, source: str) -> DemandFilter | None:
        effect = self.effect.get(source)
        if effect is None or not self.order:
            return None
        eligible, sizes, env = self.eligible, self.sizes, self.env
        draw, covered = self._u, self._effective
        prevented, by_cohort = self.prevented, self.prevented_by_cohort
        key = source

        def prevent(cohort: int) -> bool:
            if not eligible[cohort]:
                return False
            u = draw()
            if u * sizes[cohort] < covered(cohort, env.now) * effect:
                prevented[key] += 1
                by_cohort[cohort] += 1
                return True
            return False

        return prevent

    def _effective(self, cohort: int, now: float) -> float:
        """People of ``cohort`` on the caseload, each counted by how far their ramp-up has
        gone (0 when taken on, 1 from ``ramp_days`` on)."""
        n = self._ramp_n[cohort]
        if n == 0:
            return float(self.on[cohort])
        ramp = self.ramp_hours
        queue = self._ramping[cohort]
        while queue and queue[0].start + ramp <= now:
            member = queue.popleft()
            if member.ramping:
                member.ramping = False
                self._ramp_n[cohort] -= 1
                self._ramp_sum[cohort] -= member.start
        n = self._ramp_n[cohort]
        if n == 0:
            return float(self.on[cohort])
        partial = (n * now - self._ramp_sum[cohort]) / ramp
        return self.on[cohort] - n + min(max(partial, 0.0), float(n))

    # -- the caseload ------------------------------------------------------------------
    def start(self) -> None:
        """Fill the caseload as a long-running team would have it (see the module)."""
        free = [self.eligible[k] for k in range(len(self.eligible))]
        k = min(self.places, sum(free))
        if k == 0:
            return
        rng = self._initial_rng
        counts = [0] * len(free)
        if self.proportional:
            counts = rng.multivariate_hypergeometric(np.array(free), k).tolist()
        else:
            left = k
            for c in self.order:
                counts[c] = min(free[c], left)
                left -= counts[c]
        cohorts = np.repeat(np.arange(len(counts)), counts)
        pool = np.maximum(self._stay_spec.sample(rng, max(2000, 50 * k)), 0.0) * 24.0
        total = pool.sum()
        stays = rng.choice(pool, size=k, p=pool / total) if total > 0 else np.zeros(k)
        ages = stays * rng.random(k)
        remaining = stays - ages
        order = np.argsort(-ages, kind="stable")  # taken on longest ago first (ramp order)
        now = self.env.now
        for i in order.tolist():
            self._enrol(int(cohorts[i]), now - float(ages[i]), float(remaining[i]), counted=False)

    def _enrol(self, cohort: int, start: float, stay: float, counted: bool = True) -> None:
        now = self.env.now
        ramping = self.ramp_hours > 0 and start + self.ramp_hours > now
        member = _Member(cohort, start, ramping)
        self.on[cohort] += 1
        self.total_on += 1
        self._levels[cohort].change(now, 1)
        if ramping:
            self._ramping[cohort].append(member)
            self._ramp_n[cohort] += 1
            self._ramp_sum[cohort] += start
        if counted:
            self.enrolled += 1
        Timeout(self.env, max(stay, 0.0), member).callbacks.append(self._leave_cb)

    def _leave(self, ev: Any) -> None:
        member: _Member = ev.value
        now = self.env.now
        cohort = member.cohort
        self.on[cohort] -= 1
        self.total_on -= 1
        self._levels[cohort].change(now, -1)
        if member.ramping:
            member.ramping = False
            self._ramp_n[cohort] -= 1
            self._ramp_sum[cohort] -= member.start
        self._fill(now)

    def _fill(self, now: float) -> None:
        """Take people on while places are free and eligible people are not on the caseload."""
        while self.total_on < self.places:
            cohort = self._next_cohort()
            if cohort is None:
                return
            self._enrol(cohort, now, self._stay())

    def _next_cohort(self) -> int | None:
        on, eligible = self.on, self.eligible
        if not self.proportional:
            for c in self.order:
                if on[c] < eligible[c]:
                    return c
            return None
        free = [eligible[c] - on[c] for c in self.order]
        total = sum(free)
        if total <= 0:
            return None
        point = self._pick() * total
        for c, n in zip(self.order, free):
            if point < n:
                return c
            point -= n
        return next(c for c, n in zip(reversed(self.order), reversed(free)) if n > 0)

    # -- measurement -------------------------------------------------------------------
    def reset(self, now: float) -> None:
        # zeroed in place: the demand filters hold these two
        for source in self.prevented:
            self.prevented[source] = 0
        self.prevented_by_cohort[:] = [0] * len(self.prevented_by_cohort)
        self.enrolled = 0
        for level in self._levels:
            level.reset(now)

    def finish(self, now: float) -> CaseloadTally:
        for level in self._levels:
            level.advance(now)
        staffed = (
            staffed_hours(self._week, self.clock, now - self.clock.measured_hours, now)
            if self._week is not None
            else None
        )
        return CaseloadTally(
            in_system_start=0,
            in_system_end=0,
            places=self.places,
            eligible=list(self.eligible),
            person_hours=[level.area for level in self._levels],
            enrolled=self.enrolled,
            prevented=dict(self.prevented),
            prevented_by_cohort=list(self.prevented_by_cohort),
            review_hours=self.review_hours,
            staffed_hours=staffed,
        )


def _urgent_need(scenario: Any, cohort: str) -> float:
    """A cohort's urgent need a person: its rates per 1,000 summed over the demand sources
    (the risk that ``priority = "highest_risk"`` ranks cohorts by)."""
    total = 0.0
    for src in scenario.demand.values():
        rate = src.rate_per_1000
        total += rate.get(cohort, 0.0) if isinstance(rate, dict) else rate
    return total
