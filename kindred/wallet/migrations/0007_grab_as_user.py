"""The API's grab in one round trip: `wallet_envelope_grab_as(envelope, user, now)`.

The API knows the caller (a user) and an envelope id; the general path reads the envelope and the caller's
membership (two queries), grabs (`wallet_envelope_grab`, migration 0003/0006), then reads the shares for
the answer (a third). This function does the three in one call on PostgreSQL:

1. the envelope, open and not past its expiry, and the caller's active membership of its circle (not the
   sender unless the circle allowed it when it was sent);
2. the grab itself: `wallet_envelope_grab(envelope, member, now)`, unchanged (its locks, its checks, the
   ledger transaction and the audit row);
3. on success, the envelope as the answer shows it, as one jsonb: its columns, the circle's slug, the
   sender's and every grabber's display name, its shares.

It returns (share id, amount, state) for a grab, and NO ROW whenever anything else happened (not a member,
the sender, expired, finished, already grabbed, a greeting owed, empty): the caller then takes the
general path, which finds the same refusal and words it (and refunds an envelope found past its expiry).
Nothing on SQLite.
"""

from typing import Any

from django.db import migrations

GRAB_AS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION wallet_envelope_grab_as(p_envelope bigint, p_user bigint, p_now timestamptz)
RETURNS TABLE (share_id bigint, amount bigint, state jsonb)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_env wallet_envelope%ROWTYPE;
    v_member bigint;
    v_outcome text;
BEGIN
    SELECT * INTO v_env FROM wallet_envelope WHERE id = p_envelope;
    IF v_env.id IS NULL OR v_env.status <> 'open' OR p_now >= v_env.expires_at THEN
        RETURN;
    END IF;
    SELECT m.id INTO v_member FROM circles_membership m
    WHERE m.circle_id = v_env.circle_id AND m.user_id = p_user AND m.status = 'active';
    IF v_member IS NULL OR (v_member = v_env.sender_id AND NOT v_env.sender_may_grab) THEN
        RETURN;
    END IF;
    SELECT g.outcome, g.share_id, g.amount INTO v_outcome, share_id, amount
    FROM wallet_envelope_grab(p_envelope, v_member, p_now) g;
    IF v_outcome <> 'ok' THEN
        RETURN;
    END IF;
    SELECT jsonb_build_object(
        'id', e.id, 'circle', c.slug, 'viewer', v_member,
        'sender_id', e.sender_id, 'sender_name', sc.display_name,
        'mode', e.mode, 'total_fen', e.total_fen, 'share_count', e.share_count,
        'greeting', e.greeting, 'is_greeting', e.is_greeting, 'status', e.status,
        'created_at', e.created_at, 'expires_at', e.expires_at, 'refunded_fen', e.refunded_fen,
        'luckiest_id', e.luckiest_id,
        'shares', (
            SELECT jsonb_agg(jsonb_build_array(
                s.id, s.amount_fen, s.claimed_by_id, s.claimed_at, s.refunded, mc.display_name
            ))
            FROM wallet_share s LEFT JOIN circles_membercard mc ON mc.membership_id = s.claimed_by_id
            WHERE s.envelope_id = e.id
        )
    ) INTO state
    FROM wallet_envelope e
    JOIN circles_circle c ON c.id = e.circle_id
    LEFT JOIN circles_membercard sc ON sc.membership_id = e.sender_id
    WHERE e.id = p_envelope;
    RETURN NEXT;
END
$fn$;
"""

DROP_FUNCTION = "DROP FUNCTION IF EXISTS wallet_envelope_grab_as(bigint, bigint, timestamptz)"


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GRAB_AS_FUNCTION, params=None)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0006_one_greeting_rule"), ("circles", "0002_curated_industries")]

    operations = [migrations.RunPython(forwards, backwards)]
