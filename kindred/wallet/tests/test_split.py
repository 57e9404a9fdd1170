"""The splitting module: sums, minimum, the double-mean cap and fair positions, over many seeded draws."""

from __future__ import annotations

import random

import pytest

from kindred.wallet import split

DRAWS = 4000


@pytest.mark.parametrize(
    ("total", "shares"), [(1, 1), (10, 10), (100, 3), (18800, 30), (2_000_000, 100), (999, 7)]
)
def test_lucky_sums_minimum_and_cap(total: int, shares: int) -> None:
    rng = random.Random(f"lucky-{total}-{shares}")
    for _ in range(300):
        draws = split.lucky_draws(total, shares, rng)
        assert sum(draws) == total and len(draws) == shares
        assert min(draws) >= 1
        remaining = total
        for i, amount in enumerate(draws[:-1]):
            assert amount <= split.lucky_cap(remaining, shares - i)
            remaining -= amount
        shuffled = split.split_lucky(total, shares, rng)
        assert sum(shuffled) == total and min(shuffled) >= 1 and len(shuffled) == shares


@pytest.mark.parametrize(("total", "shares"), [(1000, 5), (18800, 10), (50, 4)])
def test_lucky_every_position_has_the_same_mean(total: int, shares: int) -> None:
    """Shuffled after the cut: each grab position's mean is within 5% of total/n (4000 draws)."""
    rng = random.Random(f"positions-{total}-{shares}")
    sums = [0] * shares
    for _ in range(DRAWS):
        for i, amount in enumerate(split.split_lucky(total, shares, rng)):
            sums[i] += amount
    mean = total / shares
    for i, s in enumerate(sums):
        assert abs(s / DRAWS - mean) <= 0.05 * mean, (i, s / DRAWS, mean)


def test_without_the_shuffle_the_last_position_is_wilder() -> None:
    """Why the shuffle is there: unshuffled, the variance grows with the position."""
    rng = random.Random(7)
    first, last = [], []
    for _ in range(DRAWS):
        d = split.lucky_draws(1000, 10, rng)
        first.append(d[0])
        last.append(d[-1])

    def var(xs: list[int]) -> float:
        m = sum(xs) / len(xs)
        return sum((x - m) ** 2 for x in xs) / len(xs)

    assert var(last) > 1.5 * var(first)


def test_lucky_respects_the_share_limit_or_refuses() -> None:
    rng = random.Random(3)
    for _ in range(200):
        out = split.split_lucky(10_000, 100, rng, max_share=200)
        assert max(out) <= 200 and sum(out) == 10_000
    with pytest.raises(split.SplitError):
        split.split_lucky(10_001, 50, rng, max_share=200)  # over shares × limit
    with pytest.raises(split.SplitError):
        split.split_lucky(10_000, 50, rng, max_share=200)  # only the all-equal cut fits: no luck in 200 tries


@pytest.mark.parametrize(
    ("total", "shares"), [(10, 3), (100, 100), (18800 * 30, 30), (7, 1), (1_000_001, 100)]
)
def test_equal_spreads_the_remainder_over_the_first_shares(total: int, shares: int) -> None:
    out = split.split_equal(total, shares)
    base, extra = divmod(total, shares)
    assert sum(out) == total
    assert out == [base + 1] * extra + [base] * (shares - extra)


@pytest.mark.parametrize(("total", "shares"), [(0, 1), (2, 3), (5, 0), (-1, 1)])
def test_impossible_cuts_are_refused(total: int, shares: int) -> None:
    for mode in ("lucky", "equal"):
        with pytest.raises(split.SplitError):
            split.split(mode, total, shares, random.Random(1))


def test_luckiest_is_the_largest_and_the_earliest_on_a_tie() -> None:
    assert split.luckiest_index([3, 9, 2, 9]) == 1
    assert split.luckiest_index([5]) == 0
