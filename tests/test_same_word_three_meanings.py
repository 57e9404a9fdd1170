"""One English word, three meanings: Django merges every app's catalogue into one, so the same msgid with
different Chinese in two apps showed one app's word in the other (a closed ask read 已完成, a deal's word).
Each meaning has its own context now."""

from __future__ import annotations

from django.utils import translation

from kindred.conversation.models import Ask
from kindred.deals.models import Deal
from kindred.matching.selectors import CLOSED, VIEW_STATUS_LABELS


def test_closed_reads_as_each_thing_means_it_in_chinese() -> None:
    with translation.override("zh-hans"):
        assert str(Deal.Stage.CLOSED.label) == "已完成"
        assert str(VIEW_STATUS_LABELS[CLOSED]) == "已结束"
        assert str(Ask.Status.CLOSED.label) == "已关闭"
        assert translation.gettext("Closed") == "已关闭"  # the template's plain word, on a closed ask
    with translation.override("en"):
        assert {
            str(Deal.Stage.CLOSED.label),
            str(VIEW_STATUS_LABELS[CLOSED]),
            str(Ask.Status.CLOSED.label),
        } == {"Closed"}
