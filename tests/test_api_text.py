"""Every text field of the API refuses a NUL with a 4xx: a walk over the published OpenAPI document.

For every operation with a JSON body, a valid body is built from its schema (names steer the values: ids
are real members of a seeded circle, dates are next week), sent once as is, then once per string field
with a NUL inside that field (nested objects and list items too). Each send runs in a savepoint that is
rolled back, so every variant meets the same rows.

A variant passes when it is refused with a 4xx caused by the NUL: a 422 naming the field, or any 4xx
when the same body without the NUL was accepted. A 5xx (PostgreSQL cannot store a NUL) or a 2xx (the NUL
was stored; on PostgreSQL that is the 5xx) fails, and so does a 4xx that the body without the NUL got as
well (the NUL never reached a check: the probe proved nothing). Every offending operation is reported at
once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from kindred.conftest import PASSWORD

from .conftest import Seeded

pytestmark = pytest.mark.django_db

OPENAPI_PATH = "/api/v1/openapi.json"
NUL = "\x00"
JSON = "application/json"
# Accepting an invitation creates the account: it is sent without credentials, as an invitee would.
ANONYMOUS = {("post", "/api/v1/invitations/{code}/accept")}
# Enough money on the caller's wallet for the envelope and withdrawal bodies below.
STARTING_BALANCE_FEN = 1_000_000

# Values a valid body needs that the schema cannot tell: an optional industry code stays empty (any text is
# not a code); a deal moves on from its first stage; "mark read" names what to mark.
LEFT_EMPTY = {"theme"}
ENUM_HINTS = {"stage": "signed"}
TRUE_FLAGS = {"all"}

Path = tuple[str | int, ...]


@dataclass
class Probe:
    """The ids and values a body or a path may need, and a client per kind of caller."""

    seeded: Seeded
    doc: dict[str, Any]
    caller: Client
    anonymous: Client
    path_values: dict[str, Any] = field(default_factory=dict)

    @property
    def alice(self) -> int:
        return self.seeded.members[0].pk

    @property
    def bob(self) -> int:
        return self.seeded.members[1].pk

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if ref:
            return dict(self.doc["components"]["schemas"][ref.rsplit("/", 1)[-1]])
        return schema

    def branch(self, schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The non-null branch of an optional schema, and whether null was allowed."""
        schema = self.resolve(schema)
        options = schema.get("anyOf")
        if not options:
            return schema, False
        real = [o for o in options if o.get("type") != "null"]
        return self.resolve(real[0]), len(real) < len(options)

    # --- a valid value for every schema ----------------------------------------------------------------

    def example(self, schema: dict[str, Any], name: str, *, leaf: bool = False) -> Any:
        schema, nullable = self.branch(schema)
        if nullable and not leaf and (schema.get("type") != "string" or name in LEFT_EMPTY):
            return None
        if "enum" in schema:
            return schema.get("default", ENUM_HINTS.get(name, schema["enum"][0]))
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            props = schema.get("properties", {})
            return {key: self.example(sub, key) for key, sub in props.items()}
        if kind == "array":
            return self._list(schema, name, leaf=leaf)
        if kind == "integer":
            return self._integer(schema, name)
        if kind == "boolean":
            return name in TRUE_FLAGS or bool(schema.get("default", False))
        if kind == "string":
            default = schema.get("default")
            if default and not leaf:
                return default
            return self._string(schema, name)
        return schema.get("default")

    def _list(self, schema: dict[str, Any], name: str, *, leaf: bool) -> list[Any]:
        if name.endswith("_ids"):
            return [self.alice]
        if leaf or schema.get("minItems", 0) > 0:
            return [self.example(schema.get("items", {}), name.removesuffix("s"), leaf=True)]
        return []

    def _integer(self, schema: dict[str, Any], name: str) -> int:
        if name in ("member_id", "to_member_id", "member_b"):
            return self.bob
        if "member" in name:
            return self.alice
        hints = {"years_known": 5, "closeness": 3, "shares": 2}
        value = hints.get(name, 1000 if name.endswith("_fen") else int(schema.get("default", 1)))
        low, high = schema.get("minimum", value), schema.get("maximum", value)
        return int(min(max(value, low), high))

    def _string(self, schema: dict[str, Any], name: str) -> str:
        fmt = schema.get("format")
        later = timezone.localtime() + timedelta(days=7)
        if fmt == "date":
            return (later.date() + timedelta(days=1 if name.startswith("end") else 0)).isoformat()
        if fmt == "date-time":
            return (later + timedelta(hours=2 if name.startswith("end") else 0)).isoformat()
        hints = {
            "email": "probe@example.com",
            "phone": "13800001111",
            "password": "a probe passphrase 42",
            "username": "probe_user",
            "city": "北京",
        }
        value = next((v for k, v in hints.items() if k in name), "")
        if not value:
            value = "probe-1" if "pattern" in schema else "探针 probe text"
        return value[: schema.get("maxLength", len(value))]

    # --- the body with a NUL in one place -------------------------------------------------------------

    def string_paths(self, schema: dict[str, Any], path: Path = ()) -> list[Path]:
        schema, _ = self.branch(schema)
        if schema.get("type") == "string":
            return [path]
        if schema.get("type") == "array":
            return self.string_paths(schema.get("items", {}), (*path, 0))
        paths: list[Path] = []
        for key, sub in schema.get("properties", {}).items():
            paths.extend(self.string_paths(sub, (*path, key)))
        return paths

    def with_nul(self, schema: dict[str, Any], base: Any, path: Path, name: str = "") -> Any:
        schema, _ = self.branch(schema)
        if not path:
            text = self.example(schema, name, leaf=True)
            return text[:1] + NUL + text[1:]
        head, rest = path[0], path[1:]
        if isinstance(head, int):
            return [self.with_nul(schema.get("items", {}), None, rest, name.removesuffix("s"))]
        current = dict(base) if isinstance(base, dict) else self.example(schema, name, leaf=True)
        sub = schema["properties"][head]
        current[head] = self.with_nul(sub, current.get(head), rest, head)
        return current

    # --- sending --------------------------------------------------------------------------------------

    def body_schema(self, operation: dict[str, Any]) -> dict[str, Any] | None:
        content = operation.get("requestBody", {}).get("content", {})
        schema = content.get(JSON, {}).get("schema")
        return self.resolve(schema) if schema else None

    def send(self, method: str, path: str, url: str, body: Any) -> tuple[int, Any]:
        client = self.anonymous if (method, path) in ANONYMOUS else self.caller
        response = getattr(client, method)(url, data=json.dumps(body), content_type=JSON)
        try:
            detail = response.json()
        except ValueError:
            detail = response.content[:200]
        return response.status_code, detail

    def rolled_back(self, method: str, path: str, url: str, body: Any) -> tuple[int, Any]:
        with transaction.atomic():
            sent = self.send(method, path, url, body)
            transaction.set_rollback(True)
        return sent

    def url(self, path: str) -> str | None:
        """`path` with its parameters filled in, creating the rows they name; None when one is missing."""
        url = path
        for segment in path.split("/"):
            if segment.startswith("{"):
                name = segment.strip("{}")
                if name not in self.path_values:
                    self.path_values[name] = self.produce(path, name)
                if self.path_values[name] is None:
                    return None
                url = url.replace(segment, str(self.path_values[name]))
        return url

    def produce(self, path: str, name: str) -> Any:
        """A row for path parameter `name`, made with the POST that creates such rows (…/trips for trip_id)."""
        parts = path.split("/")
        collection = parts[parts.index("{" + name + "}") - 1]
        for create_path, operations in self.doc["paths"].items():
            operation = operations.get("post")
            schema = self.body_schema(operation) if operation else None
            if schema is None or not create_path.endswith("/" + collection) or name in create_path:
                continue
            url = self.url(create_path)
            if url is None:
                continue
            status, body = self.send("post", create_path, url, self.example(schema, ""))
            if 200 <= status < 300:
                return body["id"] if name.endswith("_id") else body[name]
        return None


def _names_field(detail: Any, name: str) -> bool:
    if not isinstance(detail, dict) or not isinstance(detail.get("detail"), list):
        return False
    return any(name in err.get("loc", []) for err in detail["detail"])


@pytest.fixture
def probe(seeded: Seeded) -> Probe:
    caller = Client(headers={"Authorization": f"Bearer {seeded.token_for(seeded.origin.user)}"})
    anonymous = Client()
    doc = json.loads(anonymous.get(OPENAPI_PATH).content)
    probe = Probe(seeded=seeded, doc=doc, caller=caller, anonymous=anonymous)
    probe.path_values.update(slug=seeded.circle.slug, nomination_id=seeded.nomination.pk)
    topup = probe.send("post", "", "/api/v1/wallet/topups", {"amount_fen": STARTING_BALANCE_FEN})
    assert topup[0] == 201, topup
    return probe


def test_every_text_field_of_the_api_refuses_nul_with_a_4xx(probe: Probe) -> None:
    offences: list[str] = []
    probed = 0
    for path, operations in probe.doc["paths"].items():
        for method, operation in operations.items():
            schema = probe.body_schema(operation)
            if schema is None:
                continue
            label = f"{method.upper()} {path}"
            url = probe.url(path)
            if url is None:
                offences.append(f"{label}: no row for its path parameters (the probe could not reach it)")
                continue
            body = probe.example(schema, "")
            if (method, path) == ("post", "/api/v1/auth/token"):
                body.update(username=probe.seeded.origin.user.get_username(), password=PASSWORD)
            base_status, base_detail = probe.rolled_back(method, path, url, body)
            for where in probe.string_paths(schema):
                name = next(str(p) for p in reversed(where) if isinstance(p, str))
                status, detail = probe.rolled_back(method, path, url, probe.with_nul(schema, body, where))
                probed += 1
                at = f"{label} {'.'.join(map(str, where))}"
                if status >= 500 or status < 400:
                    offences.append(f"{at}: {status} with a NUL (want a 4xx)")
                elif not (_names_field(detail, name) or 200 <= base_status < 300):
                    offences.append(
                        f"{at}: {status} with a NUL, but the body without it got {base_status} too "
                        f"({str(base_detail)[:160]}): the NUL was never checked"
                    )
    assert probed > 0
    assert not offences, f"{len(offences)} of {probed} probes:\n" + "\n".join(offences)
