"""Paired comparison of two models' accuracy on the same eval items.

Every item is answered by the candidate and the live (baseline) slot, so the two accuracies are
paired proportions: what varies between them is only the discordant items (one right, the other
wrong). The drop's 95 % interval is Newcombe's hybrid score interval for a difference of paired
proportions (method 10 of R. G. Newcombe, "Improved confidence intervals for the difference
between binomial proportions based on paired data", Statistics in Medicine 17:2635-2650, 1998),
built from Wilson score intervals of each accuracy and their correlation; it stays inside
[-1, 1] and behaves well for small sets and accuracies near 100 %, unlike the Wald interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # two-sided 95 %


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (E. B. Wilson, JASA 22:209-212, 1927)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


@dataclass(frozen=True)
class PairedDrop:
    """Baseline accuracy minus candidate accuracy over n paired items, as fractions."""

    both: int  # both right
    lost: int  # baseline right, candidate wrong
    gained: int  # candidate right, baseline wrong
    neither: int

    @property
    def n(self) -> int:
        return self.both + self.lost + self.gained + self.neither

    @property
    def baseline(self) -> float:
        return (self.both + self.lost) / self.n

    @property
    def candidate(self) -> float:
        return (self.both + self.gained) / self.n

    @property
    def drop(self) -> float:
        return (self.lost - self.gained) / self.n

    def interval(self, z: float = Z95) -> tuple[float, float]:
        """Newcombe (1998) method 10 interval for the drop (baseline - candidate)."""
        p1, p2 = self.baseline, self.candidate
        l1, u1 = wilson(self.both + self.lost, self.n, z)
        l2, u2 = wilson(self.both + self.gained, self.n, z)
        a, b, c, d = self.both, self.lost, self.gained, self.neither
        margins = (a + b) * (c + d) * (a + c) * (b + d)
        phi = (a * d - b * c) / math.sqrt(margins) if margins else 0.0
        low = self.drop - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
        high = self.drop + math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
        return max(-1.0, low), min(1.0, high)


def pair(baseline: list[bool], candidate: list[bool]) -> PairedDrop:
    both = sum(1 for b, c in zip(baseline, candidate, strict=True) if b and c)
    lost = sum(1 for b, c in zip(baseline, candidate, strict=True) if b and not c)
    gained = sum(1 for b, c in zip(baseline, candidate, strict=True) if c and not b)
    return PairedDrop(both, lost, gained, len(baseline) - both - lost - gained)


def items_needed(limit: float, true_drop: float | None = None, ceiling: int = 100_000) -> int | None:
    """The smallest eval set on which a candidate that is `true_drop` worse (default: twice the
    limit; every difference a lost item, baseline otherwise right) is blocked, i.e. the interval's
    lower bound exceeds `limit`. Both as fractions. None when not reached below `ceiling`."""
    if limit <= 0:
        return 1
    true_drop = 2 * limit if true_drop is None else true_drop
    if true_drop <= limit or true_drop > 1:
        return None
    low, high = 1, ceiling
    if PairedDrop(high - round(true_drop * high), round(true_drop * high), 0, 0).interval()[0] <= limit:
        return None
    while low < high:  # the lower bound grows with n at a fixed drop: bisect
        mid = (low + high) // 2
        lost = round(true_drop * mid)
        if lost and PairedDrop(mid - lost, lost, 0, 0).interval()[0] > limit:
            high = mid
        else:
            low = mid + 1
    return low
