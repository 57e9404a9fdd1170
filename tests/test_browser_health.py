"""The health page in Debian's Chromium (Playwright), against the live server: every chart drawn by
ECharts on a non-blank canvas, the phase transitions marked, no console error (the new_page fixture fails
the test on any), at desktop and phone width; on a phone the charts fit the screen in one column."""

from __future__ import annotations

from typing import Any

import pytest

from kindred.circles.models import Membership
from kindred.health.tests.test_selectors import _build

from .conftest import CHROMIUM
from .test_browser_journey import DESKTOP, PHONE, Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
if not CHROMIUM.exists():
    pytestmark.append(pytest.mark.skip(reason="no /usr/bin/chromium: `apt-get install chromium`"))

CHARTS = (
    "chart-growth-month",
    "chart-growth-count",
    "chart-friends",
    "chart-deals-count",
    "chart-deals-month",
    "chart-funnel",
    "chart-conversation",
    "chart-engagement",
    "chart-branches",
)

# For each chart: its canvas's size and how many of its pixels were painted.
DRAWN = """(ids) => ids.map((id) => {
  const canvas = document.querySelector('#' + id + ' canvas');
  if (!canvas) return [id, 0, 0, 0];
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
  return [id, canvas.getBoundingClientRect().width, canvas.getBoundingClientRect().height, painted];
})"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_health_page_draws_its_charts(
    new_page: Any, live_server: Any, origin: Membership, make_user: Any, viewport: dict[str, int]
) -> None:
    _build(origin, make_user)
    person = Person(new_page, live_server.url, viewport=viewport)
    person.sign_in("organizer")
    person.goto(f"/c/{origin.circle.slug}/health/")
    page = person.page
    page.wait_for_function(f"document.querySelectorAll('.chart canvas').length >= {len(CHARTS)}")
    assert page.locator("h1").count() == 1
    for chart_id, width, height, painted in page.evaluate(DRAWN, list(CHARTS)):
        assert width > 0 and height > 0, f"{chart_id} has no size"
        assert painted > 500, f"{chart_id} looks blank ({painted} painted pixels)"
        assert width <= viewport["width"], f"{chart_id} is wider than the screen"
    # The phase transitions are in the page's series, and marked on the friends-inside chart.
    phases = page.evaluate("JSON.parse(document.getElementById('health-series').textContent).phases")
    assert phases["friends_inside_at"] is not None and phases["deals_at"] is not None
    marked = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('chart-friends')).getOption().series[1].markLine.data"
    )
    assert [m["xAxis"] for m in marked] == [phases["friends_inside_at"]]
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
