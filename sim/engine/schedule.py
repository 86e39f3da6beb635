"""First come, first served with rostered clinicians, solved when each patient arrives.

In a first-come-first-served queue a patient's start depends only on the patients
before them: on when clinicians free up from earlier visits and on the roster. So
the start can be worked out the moment the patient arrives (the multi-server form of
Lindley's recursion, after Kiefer and Wolfowitz), with no event at the end of the
visit. The roster is a rota of shifts: every change in the number on duty is a shift
change, at which everyone on duty ends their shift and the clinicians of the next
shift start, all of them free (Ciw's ``Schedule`` with pre-emption off). So

- a visit in progress at the end of its clinician's shift finishes (overtime), and
  that clinician then goes off duty: they hold back no one of the next shift;
- the next shift's clinicians take patients from the queue at once, however many of
  the last shift are still finishing visits;
- a patient starts at the first moment, not before the previous patient's start,
  when fewer of the *current* shift's visits are running than clinicians on it;
- a patient who would wait longer than their patience leaves the queue at their
  deadline instead, and takes no clinician (a *renege*);
- a patient who can never start (no one is ever on shift again) waits to the end.

The schedule keeps the end times of the current shift's visits in a heap; at a shift
change they are set aside (they still count as visits in progress, and those running
past the change are overtime). The answers are those an event-driven queue gives —
same patients, same starts — with one SimPy event fewer per visit. The schedule also
answers what the rest of the model asks at a given moment: how many are being seen,
how many wait, whether a newcomer would be seen at once, the overtime being worked.
"""

from __future__ import annotations

from collections import deque
from heapq import heappop, heappush

__all__ = ["AT_ARRIVAL", "AT_END", "AT_SHIFT", "NEVER", "RENEGE", "FcfsSchedule"]

INF = float("inf")
EPS = 1e-9
RENEGE = -1.0
"""What :meth:`FcfsSchedule.assign` returns for a patient who leaves the queue at their deadline."""
NEVER = INF
"""What :meth:`FcfsSchedule.assign` returns for a patient no clinician will ever see."""
AT_ARRIVAL, AT_END, AT_SHIFT = 0, 1, 2
"""What a start coincides with (:attr:`FcfsSchedule.cause`): the arrival itself, the end
of an earlier visit, or a shift change."""


class FcfsSchedule:
    """The clinicians' commitments: visit ends, patients waiting, the roster ahead."""

    __slots__ = (
        "_floor_cause",
        "_k",
        "_next_shift",
        "_staff",
        "_staff_now",
        "_times",
        "aside",
        "cause",
        "ends",
        "floor",
        "overruns",
        "reneging",
        "stuck",
        "waited",
    )

    def __init__(self, staff_at_start: int, changes: list[tuple[float, int]]) -> None:
        self.ends: list[float] = []
        """End times of the current shift's visits that may still be running (a heap;
        ended ones are dropped lazily): each holds one of the shift's clinicians."""
        self.aside: list[float] = []
        """End times of visits that hold no clinician of the current shift but may still be
        running now (a heap): passed by the search for a later start, or of an ended shift."""
        self.overruns: list[tuple[float, float]] = []
        """(end, shift end) of visits running past the end of their clinician's shift (a heap)."""
        self.floor = 0.0
        """No later patient starts before this (the previous patient's start, FCFS)."""
        self._floor_cause = AT_ARRIVAL
        self.cause = AT_ARRIVAL
        """What the last start assigned coincides with: AT_ARRIVAL, AT_END or AT_SHIFT."""
        self._times = [t for t, _ in changes]
        self._staff = [s for _, s in changes]
        self._k = 0
        self._staff_now = staff_at_start
        self._next_shift = self._times[0] - EPS if self._times else INF
        """The next shift change, less the tolerance within which a change counts as passed."""
        self.waited: deque[tuple[float, float]] = deque()
        """(start, end) of patients who had to wait, while their start may be ahead."""
        self.reneging: deque[float] = deque()
        """Deadlines of patients waiting who will leave the queue then (in order)."""
        self.stuck = 0
        """Patients who will never be seen (they wait to the end)."""

    def assign(self, arrived: float, duration: float, deadline: float) -> float:
        """The start of the visit of a patient arriving now, or :data:`RENEGE` or :data:`NEVER`.

        Arrivals must come in time order. A started visit is booked until
        ``start + duration``; a renege holds a place in the queue until ``deadline``."""
        ends = self.ends
        if self.floor <= arrived < self._next_shift:
            # the common case, no shift change to pass: a clinician free now, or wait below.
            # (No cause to record: a start at the arrival is logged at once, and no later
            # patient can start from this floor before their own arrival.)
            while ends and ends[0] <= arrived:
                heappop(ends)
            if len(ends) < self._staff_now:
                self.floor = arrived
                heappush(ends, arrived + duration)
                return arrived
        if arrived >= self.floor:
            tau, cause = arrived, AT_ARRIVAL
        else:
            tau, cause = self.floor, self._floor_cause
        if tau == INF:  # someone ahead will never be seen: nor will this patient
            return self._not_seen(deadline)
        times, n = self._times, len(self._times)
        if self._k < n and times[self._k] <= tau + EPS:
            self._read_roster(tau)
        aside = self.aside
        while True:
            while ends and ends[0] <= tau:
                gone = heappop(ends)
                if gone > arrived:  # passed by this search, but still running now
                    heappush(aside, gone)
            if len(ends) < self._staff_now:
                break
            k = self._k
            nxt, why = (ends[0], AT_END) if ends else (INF, AT_END)
            if k < n and times[k] < nxt:
                nxt, why = times[k], AT_SHIFT
            if nxt > deadline or nxt == INF:
                self.floor, self._floor_cause = tau, cause
                return self._not_seen(deadline)
            tau, cause = nxt, why
            if k < n and times[k] <= tau + EPS:
                self._read_roster(tau)
        if tau > deadline:  # the patient ahead starts after this one's deadline
            return self._not_seen(deadline)
        self.floor, self._floor_cause, self.cause = tau, cause, cause
        end = tau + duration
        heappush(ends, end)
        if tau > arrived:
            self.waited.append((tau, end))
        return tau

    def _read_roster(self, tau: float) -> None:
        """Pass every shift change due by ``tau``: each ends the shift on duty and starts
        the next with all its clinicians free."""
        times, staff, k, n = self._times, self._staff, self._k, len(self._times)
        while k < n and times[k] <= tau + EPS:
            self._hand_over(times[k])
            self._staff_now = staff[k]
            k += 1
        self._k = k
        self._next_shift = times[k] - EPS if k < n else INF

    def _hand_over(self, at: float) -> None:
        """The shift on duty ends at ``at``: its visits hold no clinician of the next shift,
        and those running past ``at`` are overtime."""
        ends = self.ends
        if ends:
            aside, overruns = self.aside, self.overruns
            for end in ends:
                heappush(aside, end)
                if end > at:
                    heappush(overruns, (end, at))
            ends.clear()

    def _not_seen(self, deadline: float) -> float:
        if deadline == INF:
            self.floor = INF
            self.stuck += 1
            return NEVER
        self.reneging.append(deadline)
        return RENEGE

    # -- the state at a moment (``now`` never before the latest arrival) ---------------
    def _settle(self, now: float) -> None:
        ends, aside, waited, reneging = self.ends, self.aside, self.waited, self.reneging
        while ends and ends[0] <= now:
            heappop(ends)
        while aside and aside[0] <= now:
            heappop(aside)
        while waited and waited[0][0] <= now:
            waited.popleft()
        while reneging and reneging[0] <= now:
            reneging.popleft()

    def busy(self, now: float) -> int:
        """Visits in progress at ``now`` (overtime included)."""
        self._settle(now)
        return len(self.ends) + len(self.aside) - len(self.waited)

    def waiting(self, now: float) -> int:
        """Patients waiting at ``now``."""
        self._settle(now)
        return len(self.waited) + len(self.reneging) + self.stuck

    def free_now(self, now: float) -> bool:
        """A patient arriving at ``now`` would be seen at once: no one waits and a clinician
        of the shift on duty is free (those finishing overtime visits do not count)."""
        self._settle(now)
        if self.waited or self.reneging or self.stuck:
            return False
        if self._k < len(self._times) and self._times[self._k] <= now + EPS:
            self._read_roster(now)
        return len(self.ends) < self._staff_now

    def overtime(self, now: float, lo: float, hi: float) -> float:
        """Clinician-hours within [lo, hi) (lo >= now) of the visits in progress at ``now``
        whose clinician's shift has ended by ``now``: called at each shift change, with
        [lo, hi) the stretch to the next, it books every overtime visit piece by piece."""
        if self._k < len(self._times) and self._times[self._k] <= now + EPS:
            self._read_roster(now)
        overruns = self.overruns
        while overruns and overruns[0][0] <= now:
            heappop(overruns)
        if hi <= lo or not overruns:
            return 0.0
        due = now + EPS
        return sum(
            max(min(e, hi) - lo, 0.0) for e, shift_end in sorted(overruns) if shift_end <= due
        )
