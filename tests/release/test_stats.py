"""The paired interval behind the eval gate: Wilson and Newcombe (1998) method 10 properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmctl.release.stats import PairedDrop, items_needed, pair, wilson


def test_wilson_matches_its_closed_form():
    # 81/263 at 95 %: 0.2553 to 0.3662 (the worked example of en.wikipedia.org/wiki/Binomial_proportion_confidence_interval)
    low, high = wilson(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert wilson(0, 10)[0] == 0 and wilson(10, 10)[1] == pytest.approx(1)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60))
def test_interval_holds_the_estimate_and_stays_in_range(both, lost, gained, neither):
    drop = PairedDrop(both, lost, gained, neither)
    if drop.n == 0:
        return
    low, high = drop.interval()
    assert -1 <= low <= drop.drop <= high <= 1
    mirrored = PairedDrop(both, gained, lost, neither).interval()  # swapping the roles mirrors the interval
    assert mirrored == pytest.approx((-high, -low))


def test_more_items_narrow_the_interval_at_the_same_drop():
    widths = [PairedDrop(n - n // 25, n // 25, 0, 0).interval() for n in (25, 100, 400, 1600)]
    spans = [high - low for low, high in widths]
    assert spans == sorted(spans, reverse=True)


def test_items_needed_is_the_first_set_size_that_blocks_twice_the_limit():
    needed = items_needed(0.02)
    assert needed == 313
    lost = round(0.04 * needed)
    assert PairedDrop(needed - lost, lost, 0, 0).interval()[0] > 0.02
    assert items_needed(0.05) < items_needed(0.02) < items_needed(0.01)
    assert items_needed(0) == 1 and items_needed(0.6) is None


def test_pair_counts_the_table():
    assert pair([True, True, False, False], [True, False, True, False]) == PairedDrop(1, 1, 1, 1)
