"""Audit actions are a typed registry (kindred.core.audit): every action the code writes or looks for is
registered by its app, and audit_record refuses anything else."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from kindred.core.audit import UnknownAuditAction, audit_action_check, audit_actions
from kindred.core.models import AuditEvent
from kindred.core.services import audit_record

KINDRED = Path(__file__).resolve().parents[2]
ARGPARSE_ACTIONS = {"store_true", "store_false", "store", "append", "count"}


def _sources() -> list[Path]:
    """Every module but migrations and this test (which writes an unknown action on purpose)."""
    here = Path(__file__).resolve()
    return [p for p in KINDRED.rglob("*.py") if "migrations" not in p.parts and p != here]


def test_every_action_string_in_the_code_is_registered() -> None:
    """Services, tests and queries alike: action="..." and action__in=[...] name registered actions only."""
    known = set(audit_actions())
    unknown = set()
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for value in re.findall(r'\baction="([a-z_]+(?:\.[a-z_]+)?)"', text):
            if value not in ARGPARSE_ACTIONS and value not in known:
                unknown.add(f"{path.relative_to(KINDRED)}: {value}")
        for group in re.findall(r"\baction__in=[\[(]([^\])]*)[\])]", text):
            for value in re.findall(r'"([^"]+)"', group):
                if value not in known:
                    unknown.add(f"{path.relative_to(KINDRED)}: {value}")
    assert not unknown, sorted(unknown)


def test_services_pass_an_enum_member_never_a_bare_string() -> None:
    """audit_record(action=...) gets an app's Action member (or Action(value) for a computed one)."""
    bare = []
    for path in _sources():
        if "tests" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "audit_record"):
                continue
            for kw in node.keywords:
                if kw.arg == "action" and _bare(kw.value):
                    bare.append(f"{path.relative_to(KINDRED)}:{node.lineno}")
    assert not bare, bare


def _bare(value: ast.expr) -> bool:
    """A string or f-string where the action is chosen (either branch of a conditional)."""
    if isinstance(value, ast.IfExp):
        return _bare(value.body) or _bare(value.orelse)
    return isinstance(value, ast.JoinedStr) or (
        isinstance(value, ast.Constant) and isinstance(value.value, str)
    )


def test_every_app_registers_its_actions_once() -> None:
    actions = audit_actions()
    apps = {module.split(".")[1] for module in actions.values()}
    assert {"accounts", "circles", "ties", "invitations", "wallet", "matching", "meetups", "deals"} <= apps
    assert actions["tie_declared"] == "kindred.ties.audit"
    assert actions["conversation.message_posted"] == "kindred.conversation.audit"
    assert len(actions) >= 70


@pytest.mark.django_db
def test_an_unknown_action_raises_and_writes_nothing() -> None:
    with pytest.raises(UnknownAuditAction):
        audit_record(action="tie_declard")  # type: ignore[arg-type]
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_registered_action_is_stored_as_its_value() -> None:
    action = audit_action_check("tie_declared")  # the ties app's member, found by its stored value
    assert type(action).__module__ == "kindred.ties.audit"
    event = audit_record(action=action)
    event.refresh_from_db()
    assert event.action == "tie_declared"
