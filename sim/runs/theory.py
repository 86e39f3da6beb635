"""Queueing theory the simulator is verified against.

- Erlang B: blocking probability of a loss system with ``c`` servers and offered load
  ``a = λ/μ`` (any service-time distribution: the formula is insensitive to it).
- Erlang C: probability that an arrival waits in an M/M/c queue.
"""

from __future__ import annotations

import math

__all__ = ["erlang_b", "erlang_c", "least_servers", "mmc_mean_wait", "mmc_wait_within"]


def erlang_b(c: int, a: float) -> float:
    """P(all c servers busy) for offered load ``a`` erlangs, by the stable recursion."""
    if c < 0 or a < 0:
        raise ValueError("c and a must be >= 0")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """P(an arrival waits) in M/M/c with offered load ``a = λ/μ`` (needs a < c)."""
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c (time units of 1/λ)."""
    a = lam / mu
    if a >= c:
        return math.inf
    return erlang_c(c, a) / (c * mu - lam)


def mmc_wait_within(lam: float, mu: float, c: int, t: float) -> float:
    """P(wait <= t) in M/M/c, first come first served."""
    a = lam / mu
    if a >= c:
        return 0.0
    return 1.0 - erlang_c(c, a) * math.exp(-(c * mu - lam) * t)


def least_servers(lam: float, mu: float, t: float, target: float) -> int:
    """The least c with P(wait <= t) >= target in M/M/c."""
    c = max(1, math.floor(lam / mu) + 1)
    while mmc_wait_within(lam, mu, c, t) < target:
        c += 1
    return c
