"""Forms as a browser sees them: every <form> of a page with what submitting it unchanged would send.

`parse_forms(html)` reads each form's action, method and successful controls as rendered: inputs with their
value (checkboxes and radios only when checked), the selected options of each select (the first option when
none is marked, as a browser does), textareas with their text, and the submit buttons. `Form.data(...)` is
what pressing a submit button sends, with only the fields a user would change overridden.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser

# What a user may type or pick: the value replaces every rendered value of the field; a list gives several
# values (ticked checkboxes, a multiple select); None removes the field (an unticked checkbox).
Override = str | list[str] | None


@dataclass
class Control:
    name: str
    kind: str  # input type, "select", "textarea" or "button"
    value: str
    on: bool = True  # checked / selected / a text control (always sent)


@dataclass
class Form:
    action: str
    method: str
    attrs: dict[str, str]
    controls: list[Control] = field(default_factory=list)
    buttons: list[Control] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return " ".join(" ".join(self.text).split())

    def values(self, name: str) -> list[str]:
        """The values submitting the form unchanged sends for `name`."""
        return [c.value for c in self.controls if c.name == name and c.on]

    def options(self, name: str) -> list[str]:
        """Every value the field offers (all checkboxes, radios or options of that name)."""
        return [c.value for c in self.controls if c.name == name]

    def data(
        self, overrides: Mapping[str, Override] | None = None, button: str | None = None
    ) -> list[tuple[str, str]]:
        """The body a browser posts: the rendered values, `overrides` applied, and the submit button pressed
        (`button` names it; default the first named one, if any)."""
        overrides = dict(overrides or {})
        unknown = set(overrides) - {c.name for c in self.controls}
        assert not unknown, f"the form {self.action} has no field {sorted(unknown)}: {self.names()}"
        pairs: list[tuple[str, str]] = []
        done: set[str] = set()
        for c in self.controls:
            if c.name in overrides:
                if c.name in done:
                    continue
                done.add(c.name)
                value = overrides[c.name]
                if value is None:
                    continue
                pairs.extend((c.name, v) for v in ([value] if isinstance(value, str) else value))
            elif c.on:
                pairs.append((c.name, c.value))
        named = [b for b in self.buttons if b.name]
        if button is not None:
            chosen = [b for b in named if b.name == button or b.value == button]
            assert chosen, f"no button {button!r} in {self.action}: {[(b.name, b.value) for b in named]}"
            pairs.append((chosen[0].name, chosen[0].value))
        elif named:
            pairs.append((named[0].name, named[0].value))
        return pairs

    def names(self) -> list[str]:
        return list(dict.fromkeys(c.name for c in self.controls))


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, bool, list[Control]] | None = None  # name, multiple, options
        self._option: dict[str, str | None] | None = None
        self._option_text: list[str] = []
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        if tag == "form":
            self._form = Form(
                action=attrs.get("action", ""), method=attrs.get("method", "get").lower(), attrs=attrs
            )
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = attrs.get("name", "")
        disabled = "disabled" in attrs
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "image"):
                form.buttons.append(Control(name, kind, attrs.get("value", "")))
            elif name and not disabled and kind not in ("reset", "button", "file"):
                if kind in ("checkbox", "radio"):
                    form.controls.append(Control(name, kind, attrs.get("value", "on"), "checked" in attrs))
                else:
                    form.controls.append(Control(name, kind, attrs.get("value", "")))
        elif tag == "button":
            if attrs.get("type", "submit").lower() == "submit":
                form.buttons.append(Control(name, "button", attrs.get("value", "")))
        elif tag == "select":
            self._select = (name if not disabled else "", "multiple" in attrs, [])
        elif tag == "option" and self._select is not None:
            self._option = attrs  # type: ignore[assignment]
            self._option_text = []
        elif tag == "textarea":
            self._textarea = (name if not disabled else "", [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "option":
            self._end_option()
        elif tag == "select" and self._select is not None:
            self._end_option()
            name, multiple, options = self._select
            self._select = None
            if self._form is not None and name:
                if not multiple and options and not any(o.on for o in options):
                    options[0].on = True
                if not multiple:  # only the last selected option counts in a single select
                    chosen = [o for o in options if o.on][-1:]
                    for o in options:
                        o.on = o in chosen
                self._form.controls.extend(options)
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            self._textarea = None
            if self._form is not None and name:
                text = "".join(parts)
                # HTML drops one newline right after <textarea>; browsers send line breaks as CRLF.
                text = text.removeprefix("\n")
                self._form.controls.append(
                    Control(name, "textarea", text.replace("\r\n", "\n").replace("\n", "\r\n"))
                )

    def _end_option(self) -> None:
        if self._option is None or self._select is None:
            return
        attrs = self._option
        text = "".join(self._option_text)
        value = attrs.get("value")
        self._select[2].append(
            Control(
                self._select[0],
                "option",
                value if value is not None else " ".join(text.split()),
                "selected" in attrs,
            )
        )
        self._option = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif self._option is not None:
            self._option_text.append(data)
        if self._form is not None:
            self._form.text.append(data)


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def find_form(
    html: str,
    action: str | re.Pattern[str] = "",
    *,
    contains: str = "",
    method: str | None = None,
    css_class: str | None = None,
    field: str | None = None,
) -> Form:
    """The one form whose action matches `action` (a substring or a regex), whose text holds `contains`, with
    the class `css_class` and a field named `field` when given."""
    found = [
        f
        for f in parse_forms(html)
        if (re.search(action, f.action) if isinstance(action, re.Pattern) else action in f.action)
        and contains in f.label
        and (method is None or f.method == method)
        and (css_class is None or css_class in f.attrs.get("class", "").split())
        and (field is None or field in f.names())
    ]
    assert len(found) == 1, f"{len(found)} forms match action={action!r} contains={contains!r}: " + repr(
        [(f.method, f.action) for f in parse_forms(html)]
    )
    return found[0]


def text_of(html: str) -> str:
    """The visible text of a page, whitespace folded (scripts and styles left out)."""
    body = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    body = re.sub(r"(?s)<[^>]+>", " ", body)
    from html import unescape

    return " ".join(unescape(body).split())


def first(values: Iterable[str]) -> str:
    return next(iter(values), "")
