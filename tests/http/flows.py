"""Steps the HTTP tests share, each through the public API as an outside client takes it."""

from __future__ import annotations

import secrets
from typing import Any

from .harness import Server

MIXED = "中文 English العربية 😀"  # one line: every script, and a character outside the BMP
MIXED_LINES = "中文 English\nالعربية 😀"


def unique(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(3)}"


def nominate(server: Server, nominator: str, name: str, **extra: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "email": f"{unique('n')}@example.com",
        "relationship": "colleague",
        "years_known": 5,
        "closeness": 4,
        "reason": "做了十年动画发行，圈子里缺这一环。",
        **extra,
    }
    return server.api(nominator).ok("POST", f"/api/v1/circles/{server.slug}/nominations", 201, json=body)


def approve(server: Server, reviewer: str, nomination_id: int) -> dict[str, Any]:
    path = f"/api/v1/circles/{server.slug}/nominations/{nomination_id}/approve"
    return server.api(reviewer).ok("POST", path, 200)


def my_nomination(server: Server, nominator: str, nomination_id: int) -> dict[str, Any]:
    """The nomination as its nominator sees it (with the state of its invitation)."""
    rows = server.api(nominator).ok("GET", f"/api/v1/circles/{server.slug}/nominations")
    return next(n for n in rows if n["id"] == nomination_id)


def invited(server: Server, name: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A nomination by alice approved by the organizer: (nomination, issued link)."""
    nomination = nominate(server, "alice", name or unique("张三"))
    return nomination, approve(server, "laozhou", nomination["id"])


def card(server: Server, viewer: str, member_id: int) -> dict[str, Any]:
    return server.api(viewer).ok("GET", f"/api/v1/circles/{server.slug}/members/{member_id}")


def my_card(server: Server, username: str) -> dict[str, Any]:
    return card(server, username, server.member_id(username))


def search(server: Server, viewer: str, q: str) -> list[dict[str, Any]]:
    page = server.api(viewer).ok("GET", f"/api/v1/circles/{server.slug}/members", params={"q": q})
    return page["items"]


def balance(server: Server, username: str) -> int:
    return server.api(username).ok("GET", "/api/v1/wallet")["balance_fen"]


def top_up(server: Server, username: str, amount_fen: int) -> None:
    server.api(username).ok("POST", "/api/v1/wallet/topups", 201, json={"amount_fen": amount_fen})
