"""One greeting rule: the grab in the database (migration 0003) asks `wallet_greeting_owed(member)`.

0003's function held its own copy of "who owes a greeting"; this one installs the rule of
kindred/wallet/greeting.py (OWES_GREETING_SQL, frozen here as of this migration: a test holds the
installed function equal to the Python text, so a change of the rule comes with a new migration) as a SQL
function, and re-creates the grab with its greeting check replaced by a call to it. Nothing on SQLite,
where the grab is the ORM path and runs the Python text itself.
"""

from importlib import import_module
from typing import Any

from django.db import migrations

grab_0003 = import_module("kindred.wallet.migrations.0003_grab_function")

GREETING_OWED_FUNCTION = r"""
CREATE OR REPLACE FUNCTION wallet_greeting_owed(p_member bigint) RETURNS boolean
LANGUAGE sql STABLE AS $fn$
SELECT EXISTS (SELECT 1 FROM circles_membership gm JOIN wallet_circlewalletsettings gs ON gs.circle_id = gm.circle_id WHERE gm.id = p_member AND gm.sponsor_id IS NOT NULL AND gs.greeting_rule = 'required' AND gs.required_since IS NOT NULL AND gm.joined_at >= gs.required_since AND NOT EXISTS (SELECT 1 FROM wallet_envelope ge WHERE ge.sender_id = gm.id AND ge.is_greeting) AND NOT EXISTS (SELECT 1 FROM wallet_greetingwaiver gw WHERE gw.membership_id = gm.id))
$fn$;
"""

# 0003's own copy of the rule, replaced by the call.
OLD_CHECK = """    IF v_member.sponsor_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM wallet_circlewalletsettings s
        WHERE s.circle_id = v_env.circle_id AND s.greeting_rule = 'required'
          AND s.required_since IS NOT NULL AND v_member.joined_at >= s.required_since
    ) AND NOT EXISTS (
        SELECT 1 FROM wallet_envelope g WHERE g.sender_id = p_member AND g.is_greeting
    ) AND NOT EXISTS (
        SELECT 1 FROM wallet_greetingwaiver w WHERE w.membership_id = p_member
    ) THEN"""
NEW_CHECK = "    IF wallet_greeting_owed(p_member) THEN  -- kindred/wallet/greeting.py"

assert grab_0003.GRAB_FUNCTION.count(OLD_CHECK) == 1
GRAB_FUNCTION = grab_0003.GRAB_FUNCTION.replace(
    "-- 1. A member who joined under a required greeting rule and has neither greeted nor been excused.",
    "-- 1. A member who owes a greeting envelope (the one rule: kindred/wallet/greeting.py).",
).replace(OLD_CHECK, NEW_CHECK)


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GREETING_OWED_FUNCTION, params=None)
        schema_editor.execute(GRAB_FUNCTION, params=None)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(grab_0003.GRAB_FUNCTION, params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS wallet_greeting_owed(bigint)", params=None)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0005_pending_withdrawals")]

    operations = [migrations.RunPython(forwards, backwards)]
