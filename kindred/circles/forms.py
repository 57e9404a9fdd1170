"""Forms of the circle pages. They validate input; the services decide and change."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import (
    CARD_TAGS_MAX,
    CARD_TEXT_MAX_LENGTH,
    TAG_MAX_LENGTH,
    Circle,
    Industry,
    MemberCard,
    Membership,
)
from .selectors import MAX_PAGE
from .services import CARD_CONTACT_FIELDS, CARD_TEXT_FIELDS, INDUSTRY_NAME_MAX_LENGTH

TAG_SEPARATORS = re.compile(r"[,，、;；\n]+")
RULE_FIELDS = [
    "nomination_policy",
    "nominate_after_days",
    "max_pending_nominations",
    "invitation_ttl_hours",
    "notify_sponsor_on_removal",
]


def industry_label(industry: Industry) -> str:
    return industry.name_en if (get_language() or "").startswith("en") else industry.name_zh


class IndustryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return industry_label(obj)


class IndustryMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return industry_label(obj)


class TagsField(forms.CharField):
    """Tags typed as one line, separated by commas (，、 work too)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Separate tags with commas."))
        super().__init__(max_length=CARD_TAGS_MAX * (TAG_MAX_LENGTH + 2), **kwargs)

    def clean(self, value: Any) -> list[str]:
        raw = super().clean(value)
        tags = list(dict.fromkeys(t.strip() for t in TAG_SEPARATORS.split(raw or "") if t.strip()))
        if any(len(t) > TAG_MAX_LENGTH for t in tags):
            raise forms.ValidationError(_("A tag may have at most %(n)d characters.") % {"n": TAG_MAX_LENGTH})
        if len(tags) > CARD_TAGS_MAX:
            raise forms.ValidationError(_("At most %(n)d tags per list.") % {"n": CARD_TAGS_MAX})
        return tags


class CircleCreateForm(forms.ModelForm):
    theme = IndustryChoiceField(
        queryset=Industry.objects.filter(circle__isnull=True), required=False, label=_("theme")
    )
    display_name = forms.CharField(label=_("Your name in this circle"), max_length=64, required=False)

    class Meta:
        model = Circle
        fields = ["name", "slug", "theme", "description", "values_statement", *RULE_FIELDS]
        help_texts = {
            "slug": _("The circle's address: Latin letters, digits and hyphens, e.g. xinwenyu."),
            "values_statement": _("Shown as the circle's banner: what the members share."),
        }


class CircleSettingsForm(forms.ModelForm):
    class Meta:
        model = Circle
        fields = ["name", "description", "values_statement", *RULE_FIELDS]


class IndustryAddForm(forms.Form):
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=INDUSTRY_NAME_MAX_LENGTH)
    name_en = forms.CharField(label=_("Name (English)"), max_length=INDUSTRY_NAME_MAX_LENGTH, required=False)
    synonyms = forms.CharField(label=_("Synonyms"), max_length=255, required=False)
    parent = IndustryChoiceField(
        queryset=Industry.objects.filter(circle__isnull=True, parent__isnull=True),
        required=False,
        label=_("Belongs under"),
    )


class CardForm(forms.ModelForm):
    industries = IndustryMultipleChoiceField(
        queryset=Industry.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("industries"),
    )
    offer_tags = TagsField(label=_("Offer tags"))
    need_tags = TagsField(label=_("Need tags"))

    class Meta:
        model = MemberCard
        fields = [*CARD_TEXT_FIELDS, *CARD_CONTACT_FIELDS]
        labels = {
            "wechat_visibility": _("Who sees my WeChat ID"),
            "phone_visibility": _("Who sees my phone"),
            "email_visibility": _("Who sees my email"),
        }

    def __init__(self, *args: Any, circle: Circle, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["industries"]
        assert isinstance(field, IndustryMultipleChoiceField)
        field.queryset = Industry.objects.filter(Q(circle__isnull=True) | Q(circle=circle)).order_by(
            "circle_id", "position", "code"
        )
        for name in ("offers", "needs", "bio", "values"):
            self.fields[name].widget.attrs["rows"] = 3


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Private note"), max_length=CARD_TEXT_MAX_LENGTH, required=False, widget=forms.Textarea
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        choices=[(Membership.Role.ADMIN, _("Admin")), (Membership.Role.MEMBER, _("Member"))]
    )


class RemoveForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=CARD_TEXT_MAX_LENGTH, widget=forms.Textarea)


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    city = forms.CharField(label=_("city"), max_length=64, required=False)
    industry = forms.CharField(label=_("industry"), max_length=64, required=False)
    tag = forms.CharField(label=_("tag"), max_length=32, required=False)
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
