"""How an envelope's total is cut into shares. Pure Python (no Django), integer fen throughout.

- Lucky (拼手气): the double-mean method. While `shares_left` shares remain to be cut from `remaining` fen,
  the next share is drawn uniformly from 1 .. cap with
      cap = min(2 * remaining // shares_left, remaining - (shares_left - 1))
  (so every later share can still get at least 1 fen), and the last share takes what is left. The whole
  envelope is cut when it is sent, then shuffled, so that every grab position has the same distribution
  (without the shuffle the last positions would carry more variance).
- Equal: total // n each, and the remainder fen (total % n) go one each to the first shares.

Both return exactly `shares` amounts, each at least 1 fen, summing exactly to `total`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

MIN_SHARE_FEN = 1
LUCKY_TRIES = 200


class SplitError(ValueError):
    """The total cannot be cut into that many shares (fewer than 1 fen each, or a bad count)."""


def _check(total: int, shares: int) -> None:
    if shares < 1:
        raise SplitError("shares must be at least 1")
    if total < shares * MIN_SHARE_FEN:
        raise SplitError("every share needs at least 1 fen")


def lucky_cap(remaining: int, shares_left: int) -> int:
    """The largest next share the double-mean method may draw."""
    return min(2 * remaining // shares_left, remaining - (shares_left - 1) * MIN_SHARE_FEN)


def lucky_draws(total: int, shares: int, draw: random.Random) -> list[int]:
    """The double-mean draws in the order they are drawn (not shuffled): draw i is at most the cap."""
    _check(total, shares)
    out: list[int] = []
    remaining = total
    for shares_left in range(shares, 1, -1):
        amount = draw.randint(MIN_SHARE_FEN, lucky_cap(remaining, shares_left))
        out.append(amount)
        remaining -= amount
    out.append(remaining)
    return out


def split_lucky(
    total: int,
    shares: int,
    rng: random.Random | None = None,
    *,
    max_share: int | None = None,
    tries: int = LUCKY_TRIES,
) -> list[int]:
    """The double-mean cut of `total` fen into `shares` shares, shuffled.

    With `max_share`, a cut with a share above it is drawn again (the whole cut, at most `tries` times):
    the sum, the minimum and the cap still hold, and the draw stays the double mean's, conditioned on the
    limit. SplitError when the total cannot fit (total > shares * max_share) or no cut fits in `tries`.
    """
    _check(total, shares)
    if max_share is not None and total > shares * max_share:
        raise SplitError("the total is more than the share limit allows")
    draw = rng or random.SystemRandom()
    for _attempt in range(tries):
        out = lucky_draws(total, shares, draw)
        draw.shuffle(out)
        if max_share is None or max(out) <= max_share:
            return out
    raise SplitError("no lucky cut within the share limit; use more shares or an equal split")


def split_equal(total: int, shares: int) -> list[int]:
    """`total // shares` each; the first `total % shares` shares carry one fen more."""
    _check(total, shares)
    base, extra = divmod(total, shares)
    return [base + 1 if i < extra else base for i in range(shares)]


def split(
    mode: str, total: int, shares: int, rng: random.Random | None = None, *, max_share: int | None = None
) -> list[int]:
    if mode == "lucky":
        return split_lucky(total, shares, rng, max_share=max_share)
    if mode == "equal":
        out = split_equal(total, shares)
        if max_share is not None and out[0] > max_share:
            raise SplitError("the total is more than the share limit allows")
        return out
    raise SplitError(f"unknown mode {mode!r}")


def luckiest_index(amounts: Sequence[int]) -> int:
    """The position of the luckiest grab (手气最佳): the largest amount, the earliest one on a tie."""
    if not amounts:
        raise SplitError("no shares")
    return max(range(len(amounts)), key=lambda i: (amounts[i], -i))
