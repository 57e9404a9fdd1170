"""The trust score's variant is chosen once per version of a circle's ties, in the background: a recompute
reuses the choice and never tunes; a tie change makes the next recompute ask for a new choice, and a choice
unlike the one the matches were computed with queues their recompute."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kindred.circles.models import Circle, Membership
from kindred.core.tasks import HUEY
from kindred.matching import services
from kindred.matching.engine.trust import DEFAULT_VARIANT, MIN_EDGES_TO_TUNE, LinkPredictor, edges_version
from kindred.matching.models import MatchState
from kindred.matching.selectors import trust_edges
from kindred.ties.services import tie_record_met

pytestmark = pytest.mark.django_db


@pytest.fixture
def tuned_circle(make_member: Callable[..., Membership]) -> tuple[Circle, list[Membership]]:
    """Twelve members under two sponsors, and enough met ties that the variant is really chosen."""
    first = make_member(offers="小程序开发", needs="客户")
    members = [first] + [
        make_member(sponsor=first if i % 2 else None, offers="短视频", needs="投资") for i in range(11)
    ]
    for i in range(len(members)):
        for step in (2, 3):
            j = (i + step) % len(members)
            tie_record_met(a=members[i], b=members[j])
    circle = first.circle
    assert len(trust_edges(circle_id=circle.pk)) >= MIN_EDGES_TO_TUNE
    return circle, members


@pytest.fixture
def tunings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the variant is chosen (the real choice runs; each call is counted)."""
    calls: list[int] = []
    real = LinkPredictor.choose_variant

    def counted(graph: Any, *, seed: int = 0) -> tuple[str, str]:
        calls.append(graph.n)
        return real(graph, seed=seed)

    monkeypatch.setattr(LinkPredictor, "choose_variant", staticmethod(counted))
    return calls


@pytest.fixture
def choices(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each run of the background choice (the task calls services.trust_variant_choose), counted."""
    calls: list[int] = []
    real = services.trust_variant_choose

    def counted(*, circle_id: int) -> tuple[str, str]:
        calls.append(circle_id)
        return real(circle_id=circle_id)

    monkeypatch.setattr(services, "trust_variant_choose", counted)
    return calls


def _recompute(circle: Circle, capture: Any, fingerprint: str) -> None:
    with capture(execute=True):  # after the commit, queued tasks run (HUEY is immediate in tests)
        services.matches_recompute(circle=circle, fingerprint=fingerprint)


def test_the_choice_is_made_once_in_the_background_and_reused_until_a_tie_changes(
    tuned_circle: tuple[Circle, list[Membership]],
    tunings: list[int],
    choices: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    circle, members = tuned_circle
    version = edges_version(trust_edges(circle_id=circle.pk))
    assert services.trust_variant_for(circle_id=circle.pk, version=version) == (DEFAULT_VARIANT, False)

    # The recompute does not tune; the choice it asked for runs after its commit, once.
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        services.matches_recompute(circle=circle, fingerprint="first")
    assert tunings == [] and choices == [] and after_commit  # nothing chosen in the recompute itself
    for callback in after_commit:
        callback()
    assert choices == [circle.pk] and len(tunings) == 1
    chosen, exact = services.trust_variant_for(circle_id=circle.pk, version=version)
    assert exact and chosen == services.trust_variant_choose(circle_id=circle.pk)
    assert len(tunings) == 1  # asked again for the same ties: the kept choice

    # Recomputing again (cards changed, say) reuses it: no tuning, no choice queued.
    _recompute(circle, django_capture_on_commit_callbacks, "second")
    assert len(tunings) == 1 and len(choices) == 2

    # A new tie is a new version of the graph: the next recompute uses the latest choice meanwhile and
    # queues a new one, which tunes on the new ties.
    tie_record_met(a=members[0], b=members[6])
    new_version = edges_version(trust_edges(circle_id=circle.pk))
    assert new_version != version
    assert services.trust_variant_for(circle_id=circle.pk, version=new_version) == (chosen, False)
    _recompute(circle, django_capture_on_commit_callbacks, "third")
    assert len(tunings) == 2 and len(choices) == 3
    assert services.trust_variant_for(circle_id=circle.pk, version=new_version)[1] is True
    _recompute(circle, django_capture_on_commit_callbacks, "fourth")
    assert len(tunings) == 2 and len(choices) == 3


def test_a_choice_unlike_the_one_the_matches_used_queues_their_recompute(
    tuned_circle: tuple[Circle, list[Membership]],
    choices: list[int],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    circle, _members = tuned_circle
    other = ("aa", "quiet") if DEFAULT_VARIANT != ("aa", "quiet") else ("ra08", "none")
    monkeypatch.setattr(LinkPredictor, "choose_variant", staticmethod(lambda graph, *, seed=0: other))
    HUEY.flush()
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        services.matches_recompute(circle=circle, fingerprint="first")  # with the default variant
    state = MatchState.objects.get(circle=circle)
    version_before = state.version
    with django_capture_on_commit_callbacks(execute=True):
        for callback in after_commit:
            callback()  # the background choice: another variant than the matches used
    state.refresh_from_db()
    assert state.version != version_before or state.refresh_queued_at is not None
    assert any(t.name.endswith("matches_refresh") and t.args == (circle.pk,) for t in HUEY.scheduled())
    assert choices == [circle.pk]
    # The recompute it queued uses the choice, and asks for nothing more.
    _recompute(circle, django_capture_on_commit_callbacks, "second")
    assert choices == [circle.pk]
    version = edges_version(trust_edges(circle_id=circle.pk))
    assert services.trust_variant_for(circle_id=circle.pk, version=version) == (other, True)
    HUEY.flush()
