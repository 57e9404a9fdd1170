"""Read a rendered HTML form the way a browser submits it (no JavaScript), for "submit as rendered" tests.

    fields = form_fields(response.content.decode(), "card-form")   # a <form id=...> or its action=...
    client.post(url, urlencode(fields), content_type="application/x-www-form-urlencoded")

`form_fields` gives the (name, value) pairs in document order, as a browser builds the form data set:
- text-like <input>s with their value attribute ("" when absent); checkboxes and radios only when checked
  (value "on" when absent); disabled controls, unnamed ones, file inputs and buttons are left out (pass
  `submit=` to add the named submit button that was clicked);
- <select>: the selected options' values (an option's text when it has no value); a single select with
  nothing selected submits its first option;
- <textarea>: its text, less the one newline that may follow the start tag;
- every line break as CRLF, as browsers send them.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlencode

__all__ = ["form_body", "form_fields"]

_NOT_SUBMITTED = {"submit", "button", "image", "reset", "file"}


class _FormParser(HTMLParser):
    def __init__(self, selector: str, submit: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.selector = selector
        self.submit = submit
        self.found = False
        self.inside = False
        self.done = False
        self.fields: list[tuple[str, str]] = []
        # The open <select>: (name, multiple, disabled, [(value, selected)]) and the open <option>.
        self._select: tuple[str, bool, bool, list[tuple[str, bool]]] | None = None
        self._option: tuple[str | None, bool, list[str]] | None = None
        self._textarea: tuple[str, bool, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form" and not self.done:
            if self.selector in (a.get("id"), a.get("action")):
                self.found = self.inside = True
            return
        if not self.inside:
            return
        name = a.get("name", "")
        disabled = "disabled" in a
        if tag == "input":
            kind = a.get("type", "text").lower()
            if not name or disabled:
                return
            if kind in _NOT_SUBMITTED:
                if kind == "submit" and self.submit == name:
                    self.fields.append((name, a.get("value", "")))
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
                return
            self.fields.append((name, a.get("value", "")))
        elif tag == "button":
            if name and not disabled and self.submit == name:
                self.fields.append((name, a.get("value", "")))
        elif tag == "select":
            self._select = (name, "multiple" in a, disabled or not name, [])
        elif tag == "option" and self._select is not None:
            self._close_option()
            self._option = (a.get("value"), "selected" in a, [])
        elif tag == "textarea":
            self._textarea = (name, disabled or not name, [])

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[2].append(data)
        elif self._textarea is not None:
            self._textarea[2].append(data)

    def _close_option(self) -> None:
        if self._option is not None and self._select is not None:
            value, selected, text = self._option
            self._select[3].append(
                (value if value is not None else " ".join("".join(text).split()), selected)
            )
        self._option = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
            self.done = True
        elif tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            name, multiple, skip, options = self._select
            self._select = None
            if skip:
                return
            chosen = [v for v, selected in options if selected]
            if not multiple:
                chosen = chosen[-1:] or [v for v, _ in options[:1]]
            self.fields.extend((name, v) for v in chosen)
        elif tag == "textarea" and self._textarea is not None:
            name, skip, text = self._textarea
            self._textarea = None
            if skip:
                return
            value = "".join(text)
            self.fields.append((name, value[1:] if value.startswith("\n") else value))


def form_fields(html: str, form: str, *, submit: str | None = None) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser submits for the <form> whose id or action is `form`."""
    parser = _FormParser(form, submit)
    parser.feed(html)
    parser.close()
    if not parser.found:
        raise AssertionError(f"no <form> with id or action {form!r} in the page")
    return [(name, _crlf(value)) for name, value in parser.fields]


def _crlf(value: str) -> str:
    """A browser sends every line break of the form data as CRLF."""
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def form_body(html: str, form: str, *, submit: str | None = None) -> str:
    """`form_fields` encoded as a browser sends it (application/x-www-form-urlencoded)."""
    return urlencode(form_fields(html, form, submit=submit))
