"""`{{ industry|industry_name }}`: an industry's name in the reader's language, in every template."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


def industry_label(industry: Any) -> str:
    """The name of an Industry (or anything with name_zh and name_en) in the active language."""
    english = (get_language() or "").lower().startswith("en")
    return (industry.name_en or industry.name_zh) if english else industry.name_zh


@register.filter
def industry_name(industry: Any) -> str:
    return industry_label(industry) if industry is not None else ""
