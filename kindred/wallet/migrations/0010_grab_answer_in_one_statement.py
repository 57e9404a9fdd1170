"""The API's grab, caller and answer in one statement: `wallet_envelope_grab_api(...)` replaces 0007's
`wallet_envelope_grab_as`.

0007 grabbed in one round trip but the request still made two: the Bearer token's read (accounts), then the
grab, whose answer came back as jsonb for Python to parse, rebuild and encode again. This function:

1. with a token's SHA-256 (`p_token`), finds its caller as `kindred.accounts.selectors.token_get_active`
   does (the same condition, frozen here: a test holds it equal to the selector's SQL) and marks the token
   used when its `last_used_at` is older than `p_touch_seconds` (`kindred.accounts.auth`'s interval, passed in);
   an unknown, revoked or inactive user's token: outcome `unauthenticated`, nothing else done;
   without a token, `p_user` is the caller (a browser session);
2. the envelope, open and not past its expiry, and the caller's active membership of its circle (not the
   sender unless the circle allowed it), then `wallet_envelope_grab` unchanged (its locks, checks, ledger
   transaction and audit row), as 0007 did;
3. on success (outcome `ok`), the answer itself as JSON text, GrabResultOut's fields in their order, the
   times written as the API's JSON encoder writes them (`wallet_json_time`: UTC, milliseconds, `Z`).
   Anything else: outcome `refused` and nothing changed; the caller takes the general path, which words
   the refusal in the caller's language.

Nothing on SQLite.
"""

from importlib import import_module
from typing import Any

from django.db import migrations

grab_as_0007 = import_module("kindred.wallet.migrations.0007_grab_as_user")

# An active token: as kindred.accounts.selectors.token_get_active's statement (a test holds them equal).
TOKEN_CONDITION = "t.token_hash = p_token AND t.revoked_at IS NULL AND u.is_active"  # noqa: S105

# DjangoJSONEncoder's datetime (ninja's encoder): ISO 8601 in UTC, microseconds cut to milliseconds and
# left out when zero, "+00:00" written "Z". One expression, so PostgreSQL inlines it.
JSON_TIME_FUNCTION = r"""
CREATE OR REPLACE FUNCTION wallet_json_time(p timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
SELECT to_char(p AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN to_char(p AT TIME ZONE 'UTC', 'US') = '000000' THEN ''
            ELSE '.' || substr(to_char(p AT TIME ZONE 'UTC', 'US'), 1, 3) END
    || 'Z'
$fn$;
"""

GRAB_API_FUNCTION = r"""
CREATE OR REPLACE FUNCTION wallet_envelope_grab_api(
    p_envelope bigint, p_user bigint, p_token text, p_touch_seconds double precision, p_now timestamptz
) RETURNS TABLE (outcome text, answer text)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_env wallet_envelope%ROWTYPE;
    v_token bigint;
    v_used timestamptz;
    v_member bigint;
    v_outcome text;
    v_share bigint;
    v_amount bigint;
BEGIN
    IF p_token IS NOT NULL THEN
        SELECT t.id, t.user_id, t.last_used_at INTO v_token, p_user, v_used
        FROM accounts_apitoken t INNER JOIN auth_user u ON u.id = t.user_id
        WHERE t.token_hash = p_token AND t.revoked_at IS NULL AND u.is_active;
        IF v_token IS NULL THEN
            outcome := 'unauthenticated';
            RETURN NEXT;
            RETURN;
        END IF;
        IF v_used IS NULL OR extract(epoch FROM p_now - v_used) > p_touch_seconds THEN
            UPDATE accounts_apitoken SET last_used_at = p_now WHERE id = v_token;
        END IF;
    END IF;
    outcome := 'refused';
    SELECT * INTO v_env FROM wallet_envelope WHERE id = p_envelope;
    IF v_env.id IS NULL OR v_env.status <> 'open' OR p_now >= v_env.expires_at THEN
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT m.id INTO v_member FROM circles_membership m
    WHERE m.circle_id = v_env.circle_id AND m.user_id = p_user AND m.status = 'active';
    IF v_member IS NULL OR (v_member = v_env.sender_id AND NOT v_env.sender_may_grab) THEN
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT g.outcome, g.share_id, g.amount INTO v_outcome, v_share, v_amount
    FROM wallet_envelope_grab(p_envelope, v_member, p_now) g;
    IF v_outcome <> 'ok' THEN
        RETURN NEXT;
        RETURN;
    END IF;
    outcome := 'ok';
    SELECT json_build_object(
        'amount_fen', v_amount,
        'envelope', json_build_object(
            'id', e.id, 'circle', c.slug,
            'sender', json_build_object('member_id', e.sender_id, 'display_name', sc.display_name),
            'mode', e.mode, 'total_fen', e.total_fen, 'share_count', e.share_count,
            'greeting', e.greeting, 'is_greeting', e.is_greeting, 'status', e.status,
            'created_at', wallet_json_time(e.created_at), 'expires_at', wallet_json_time(e.expires_at),
            'grabbed_count', g.grabbed, 'grabbed_fen', g.grabbed_fen, 'remaining_shares', g.remaining,
            'refunded_fen', e.refunded_fen, 'my_amount_fen', v_amount,
            'can_grab', false,  -- the caller holds a share of it now
            'grabs', g.grabs
        )
    )::text INTO answer
    FROM wallet_envelope e
    JOIN circles_circle c ON c.id = e.circle_id
    LEFT JOIN circles_membercard sc ON sc.membership_id = e.sender_id
    CROSS JOIN LATERAL (
        SELECT count(s.claimed_by_id) AS grabbed,
               coalesce(sum(s.amount_fen) FILTER (WHERE s.claimed_by_id IS NOT NULL), 0) AS grabbed_fen,
               count(*) FILTER (WHERE s.claimed_by_id IS NULL AND NOT s.refunded) AS remaining,
               coalesce(json_agg(json_build_object(
                   'member', json_build_object('member_id', s.claimed_by_id, 'display_name', mc.display_name),
                   'amount_fen', s.amount_fen,
                   'grabbed_at', wallet_json_time(s.claimed_at),
                   'luckiest', coalesce(s.id = e.luckiest_id, false)
               ) ORDER BY s.claimed_at, s.id) FILTER (WHERE s.claimed_by_id IS NOT NULL), '[]') AS grabs
        FROM wallet_share s
        LEFT JOIN circles_membercard mc ON mc.membership_id = s.claimed_by_id
        WHERE s.envelope_id = e.id
    ) g
    WHERE e.id = p_envelope;
    RETURN NEXT;
END
$fn$;
"""
assert GRAB_API_FUNCTION.count(TOKEN_CONDITION) == 1

DROP_FUNCTIONS = (
    "DROP FUNCTION IF EXISTS wallet_envelope_grab_api(bigint, bigint, text, double precision, timestamptz);"
    "DROP FUNCTION IF EXISTS wallet_json_time(timestamptz);"
)


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(JSON_TIME_FUNCTION, params=None)
        schema_editor.execute(GRAB_API_FUNCTION, params=None)
        schema_editor.execute(grab_as_0007.DROP_FUNCTION, params=None)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(grab_as_0007.GRAB_AS_FUNCTION, params=None)
        schema_editor.execute(DROP_FUNCTIONS, params=None)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0009_ledger_txn_no_fk_indexes"), ("accounts", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
