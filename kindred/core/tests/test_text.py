"""The one text rule (kindred.core.text): the same verdict in a schema, a form and a service."""

from __future__ import annotations

from typing import Annotated

import pytest
from django.core.exceptions import ValidationError as FormError
from django.utils import translation
from ninja import Field, Schema
from pydantic import ValidationError as SchemaError

from kindred.core.services import ServiceError
from kindred.core.text import FreeText, LineField, OneLine, TextField, clean_text, normalize_text


class _In(Schema):
    line: Annotated[str, Field(max_length=50), OneLine] = ""
    text: Annotated[str, Field(max_length=50), FreeText] = ""


REFUSED = ["a\x00b", "\x85abc", "abc\x85", "a\x1bb", "a\x7fb", "\x00"]
KEPT_LINE = {" 张三  李四 ": "张三 李四", "a\nb": "a b", "😀 中文 English العربية": "😀 中文 English العربية"}
KEPT_TEXT = {"a\r\nb\rc ": "a\nb\nc", "\tindent": "indent", "第一行\n第二行": "第一行\n第二行"}


@pytest.mark.parametrize("value", REFUSED)
def test_refused_everywhere_alike(value: str) -> None:
    with pytest.raises(SchemaError):
        _In(line=value)
    with pytest.raises(SchemaError):
        _In(text=value)
    for field in (LineField(max_length=50), TextField(max_length=50)):
        with pytest.raises(FormError) as refused:
            field.clean(value)
        assert refused.value.code == "control_character"
    with pytest.raises(ServiceError) as exc:
        clean_text(value, label="标题", max_length=50)
    assert exc.value.status_code == 400 and exc.value.code == "control_character"


@pytest.mark.parametrize(("value", "kept"), KEPT_LINE.items())
def test_one_line_kept(value: str, kept: str) -> None:
    assert _In(line=value).line == kept
    assert LineField(max_length=50).clean(value) == kept
    assert clean_text(value, label="x", max_length=50) == kept


@pytest.mark.parametrize(("value", "kept"), KEPT_TEXT.items())
def test_free_text_keeps_lines(value: str, kept: str) -> None:
    assert _In(text=value).text == kept
    assert TextField(max_length=50).clean(value) == kept
    assert normalize_text(value, one_line=False) == kept


def test_refusal_in_the_readers_language() -> None:
    with translation.override("zh-hans"):
        with pytest.raises(ServiceError) as exc:
            clean_text("a\x00", label="标题", max_length=5)
        assert "标题" in str(exc.value.message)
        assert "not allowed" not in str(exc.value.message)
    with translation.override("en"), pytest.raises(ServiceError) as exc:
        clean_text("a" * 6, label="Title", max_length=5)
    assert "at most 5" in str(exc.value.message)
