"""Named metrics from what the engine emitted.

Counts are per year of the measured period (after warm-up) unless the name says
otherwise; fractions, hours and means are as named. See ``docs/reference/metrics.md``.

Community response team ``<svc>``:

- ``<svc>.referrals``: referrals received.
- ``<svc>.seen``: visits started.
- ``<svc>.seen_within_target``: fraction of patients whose wait ended (by a visit or by
  escalation) who were visited within the target. With no patience it is the share of
  visits started within the target, P(wait <= target) of queueing theory.
- ``<svc>.mean_wait_hours``: mean wait from referral to the start of the visit.
- ``<svc>.escalated``: patients not reached within the patience; and
  ``<svc>.escalated.<dest>`` by where they went.
- ``<svc>.after_visit.<dest>``: visits ended, by where the patient went next.
- ``<svc>.utilisation``: busy clinician-hours within rostered hours / rostered hours.
- ``<svc>.overtime_hours``: clinician-hours spent finishing visits after shifts ended.

Outcome ``<name>``: ``<name>.arrivals``. Demand source ``<src>``: ``demand.<src>.arrivals``.
"""

from __future__ import annotations

import math

from sim.engine.core import Tally

__all__ = ["compute_metrics"]


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def compute_metrics(tally: Tally) -> dict[str, float]:
    """The named metrics of one replication."""
    per_year = tally.clock.per_year
    out: dict[str, float] = {}
    for name, counts in tally.arrivals.items():
        out[f"demand.{name}.arrivals"] = counts * per_year
    for name, t in tally.services.items():
        if "referrals" in t:
            escalated = sum(t["escalated"].values())
            out[f"{name}.referrals"] = t["referrals"] * per_year
            out[f"{name}.seen"] = t["seen"] * per_year
            out[f"{name}.seen_within_target"] = _ratio(t["within_target"], t["seen"] + escalated)
            out[f"{name}.mean_wait_hours"] = _ratio(t["wait_sum"], t["seen"])
            out[f"{name}.escalated"] = escalated * per_year
            for dest, n in t["escalated"].items():
                out[f"{name}.escalated.{dest}"] = n * per_year
            for dest, n in t["outcomes"].items():
                out[f"{name}.after_visit.{dest}"] = n * per_year
            rostered = t["busy_hours"] - t["overtime_hours"]
            out[f"{name}.utilisation"] = _ratio(rostered, t["staffed_hours"])
            out[f"{name}.overtime_hours"] = t["overtime_hours"] * per_year
        else:
            out[f"{name}.arrivals"] = t["arrivals"] * per_year
    return out
