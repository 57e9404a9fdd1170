"""Forms of the circle pages. They validate input; the services decide and change."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kindred.core.text import LineField, TextField

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
from .templatetags.industries import industry_label

TAG_SEPARATORS = re.compile(r"[,，、;；\n]+")
RULE_FIELDS = [
    "nomination_policy",
    "nominate_after_days",
    "max_pending_nominations",
    "invitation_ttl_hours",
    "notify_sponsor_on_removal",
]


class IndustryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return industry_label(obj)


class IndustryMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return industry_label(obj)


class TagsField(TextField):
    """Tags typed as one line, separated by commas (，、 work too)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput)
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


# The text rule of kindred.core.text for the model forms' text fields.
CIRCLE_TEXT_CLASSES = {"name": LineField, "description": TextField, "values_statement": TextField}


class CircleCreateForm(forms.ModelForm):
    theme = IndustryChoiceField(
        queryset=Industry.objects.filter(circle__isnull=True), required=False, label=_("theme")
    )
    display_name = LineField(label=_("Your name in this circle"), max_length=64, required=False)

    class Meta:
        model = Circle
        fields = ["name", "slug", "theme", "description", "values_statement", *RULE_FIELDS]
        field_classes = CIRCLE_TEXT_CLASSES
        help_texts = {
            "slug": _("The circle's address: Latin letters, digits and hyphens, e.g. xinwenyu."),
            "values_statement": _("Shown as the circle's banner: what the members share."),
        }


class CircleSettingsForm(forms.ModelForm):
    class Meta:
        model = Circle
        fields = ["name", "description", "values_statement", *RULE_FIELDS]
        field_classes = CIRCLE_TEXT_CLASSES


class IndustryAddForm(forms.Form):
    name_zh = LineField(label=_("Name (Chinese)"), max_length=INDUSTRY_NAME_MAX_LENGTH)
    name_en = LineField(label=_("Name (English)"), max_length=INDUSTRY_NAME_MAX_LENGTH, required=False)
    synonyms = LineField(label=_("Synonyms"), max_length=255, required=False)
    parent = IndustryChoiceField(
        queryset=Industry.objects.filter(circle__isnull=True, parent__isnull=True),
        required=False,
        label=_("Belongs under"),
    )


class CardForm(forms.ModelForm):
    """The member's own card. Everything it shows is what it saves: industries and tags start as the card
    has them, so a form saved unchanged changes nothing."""

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
        field_classes = {
            **dict.fromkeys(("display_name", "company", "title", "city", "wechat", "phone"), LineField),
            **dict.fromkeys(("offers", "needs", "bio", "values"), TextField),
        }
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
        card = self.instance
        if card.pk:
            self.initial.setdefault("industries", [i.pk for i in card.industries.all()])
            tags = list(card.tags.values_list("kind", "name"))
            for kind, name in (("offer", "offer_tags"), ("need", "need_tags")):
                self.initial.setdefault(name, ", ".join(n for k, n in tags if k == kind))
        for name in ("offers", "needs", "bio", "values"):
            self.fields[name].widget.attrs["rows"] = 3


class NoteForm(forms.Form):
    note = TextField(label=_("Private note"), max_length=CARD_TEXT_MAX_LENGTH, required=False)


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        choices=[(Membership.Role.ADMIN, _("Admin")), (Membership.Role.MEMBER, _("Member"))]
    )


class RemoveForm(forms.Form):
    reason = TextField(label=_("Reason"), max_length=CARD_TEXT_MAX_LENGTH)
    # Set only by the confirmation page: the first post shows what will happen and removes nobody.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class DirectoryFilterForm(forms.Form):
    q = LineField(label=_("Search"), max_length=100, required=False)
    city = LineField(label=_("city"), max_length=64, required=False)
    industry = LineField(label=_("industry"), max_length=64, required=False)
    tag = LineField(label=_("tag"), max_length=32, required=False)
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
