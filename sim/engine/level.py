"""A time-weighted level: the integral over time of a count that goes up and down.

Busy clinicians, beds in use, vehicles out, patients whose discharge is delayed: each
service keeps its levels in :class:`Level` and reads ``area`` (level-hours) at the end.
Several levels of one service that must be measured over the same intervals (an acute
bed's occupancy and its delayed discharges) are advanced together with
:func:`advance_all`, so that each area is summed over exactly the same pieces.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["Level", "advance_all"]


class Level:
    """A count with its time-weighted sum since the last :meth:`reset`."""

    __slots__ = ("area", "level", "t_mark")

    def __init__(self, now: float = 0.0, level: int = 0) -> None:
        self.level = level
        self.area = 0.0
        self.t_mark = now

    def advance(self, now: float) -> None:
        """Add ``level × (now − last change)`` to the area."""
        dt = now - self.t_mark
        if dt > 0.0:
            self.area += self.level * dt
            self.t_mark = now

    def change(self, now: float, delta: int) -> None:
        """The level moves by ``delta`` at ``now``."""
        dt = now - self.t_mark
        if dt > 0.0:
            self.area += self.level * dt
            self.t_mark = now
        self.level += delta

    def set(self, now: float, level: int) -> None:
        """The level becomes ``level`` at ``now``."""
        self.advance(now)
        self.level = level

    def reset(self, now: float) -> None:
        """Start measuring afresh at ``now`` (the level itself is kept)."""
        self.area = 0.0
        self.t_mark = now


def advance_all(levels: Iterable[Level], now: float) -> None:
    """Advance several levels to ``now`` together."""
    for level in levels:
        level.advance(now)
