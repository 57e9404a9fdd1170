"""`wallet_greeting_owed(member)` in PL/pgSQL, the same rule's text inside (frozen as of migration 0006).

As a SQL-language function called from the grab (PL/pgSQL), its query was planned again on every call; a
PL/pgSQL function keeps its plan for the session, which takes a share of PostgreSQL's CPU off every grab.
The rule is unchanged: a test holds the body equal to kindred/wallet/greeting.py's text. Nothing on SQLite.
"""

from importlib import import_module
from typing import Any

from django.db import migrations

rule_0006 = import_module("kindred.wallet.migrations.0006_one_greeting_rule")

RULE = "SELECT EXISTS (SELECT 1 FROM circles_membership gm JOIN wallet_circlewalletsettings gs ON gs.circle_id = gm.circle_id WHERE gm.id = p_member AND gm.sponsor_id IS NOT NULL AND gs.greeting_rule = 'required' AND gs.required_since IS NOT NULL AND gm.joined_at >= gs.required_since AND NOT EXISTS (SELECT 1 FROM wallet_envelope ge WHERE ge.sender_id = gm.id AND ge.is_greeting) AND NOT EXISTS (SELECT 1 FROM wallet_greetingwaiver gw WHERE gw.membership_id = gm.id))"  # noqa: E501

assert RULE in rule_0006.GREETING_OWED_FUNCTION

GREETING_OWED_FUNCTION = f"""
CREATE OR REPLACE FUNCTION wallet_greeting_owed(p_member bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
RETURN ({RULE});
END
$fn$;
"""


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GREETING_OWED_FUNCTION, params=None)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(rule_0006.GREETING_OWED_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0007_grab_as_user")]

    operations = [migrations.RunPython(forwards, backwards)]
