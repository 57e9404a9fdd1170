"""The grab as one PostgreSQL function (one round trip): `wallet_envelope_grab(envelope, member, now)`.

Called by `kindred.wallet.services.envelope_grab` on PostgreSQL after the in-memory checks (the sender,
expiry, a finished envelope). It does what the ORM path does, in the same order and with the same locks
(the share row, SKIP LOCKED → the two accounts in id order → the envelope row):

1. a member who owes a required greeting (joined since the rule, not greeted, not waived) is refused;
2. the first free share is claimed for an active member of the envelope's circle who holds none yet;
   when none is claimed, the reason (not a member, already grabbed, expired, empty);
3. the member's wallet (made on first use); escrow → wallet; the transaction and its two entries;
4. when the escrow is empty and every share is claimed: finished, the luckiest grab marked (the largest
   amount, the earliest on a tie);
5. the audit row (as `kindred.core.services.audit_record` writes it).

It returns (outcome, share id, amount, luckiest share id). A second share of the same member (a
concurrent double grab) fails on the UNIQUE share_one_per_member; a negative balance on the account CHECK:
the caller maps those errors. SQLite keeps the ORM path; this migration does nothing there.
"""

from typing import Any

from django.db import migrations

GRAB_FUNCTION = r"""
CREATE OR REPLACE FUNCTION wallet_envelope_grab(p_envelope bigint, p_member bigint, p_now timestamptz)
RETURNS TABLE (outcome text, share_id bigint, amount bigint, luckiest_id bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_env wallet_envelope%ROWTYPE;
    v_member circles_membership%ROWTYPE;
    v_wallet bigint;
    v_left bigint;
    v_txn bigint;
    v_best bigint;
BEGIN
    SELECT * INTO v_env FROM wallet_envelope WHERE id = p_envelope;
    SELECT * INTO v_member FROM circles_membership WHERE id = p_member;
    IF v_env.id IS NULL OR v_member.id IS NULL OR v_member.circle_id <> v_env.circle_id THEN
        outcome := 'not_member';
        RETURN NEXT;
        RETURN;
    END IF;
    -- 1. A member who joined under a required greeting rule and has neither greeted nor been excused.
    IF v_member.sponsor_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM wallet_circlewalletsettings s
        WHERE s.circle_id = v_env.circle_id AND s.greeting_rule = 'required'
          AND s.required_since IS NOT NULL AND v_member.joined_at >= s.required_since
    ) AND NOT EXISTS (
        SELECT 1 FROM wallet_envelope g WHERE g.sender_id = p_member AND g.is_greeting
    ) AND NOT EXISTS (
        SELECT 1 FROM wallet_greetingwaiver w WHERE w.membership_id = p_member
    ) THEN
        outcome := 'greeting_required';
        RETURN NEXT;
        RETURN;
    END IF;
    -- 2. Claim the first free share (SKIP LOCKED: another grab holds it) for an active member without one.
    UPDATE wallet_share SET claimed_by_id = p_member, claimed_at = p_now
    WHERE id = (
        SELECT s.id FROM wallet_share s
        WHERE s.envelope_id = p_envelope AND s.claimed_by_id IS NULL AND NOT s.refunded
          AND EXISTS (SELECT 1 FROM circles_membership m WHERE m.id = p_member AND m.status = 'active')
          AND NOT EXISTS (
              SELECT 1 FROM wallet_share d WHERE d.envelope_id = p_envelope AND d.claimed_by_id = p_member
          )
        ORDER BY s.position LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED
    )
    RETURNING wallet_share.id, wallet_share.amount_fen INTO share_id, amount;
    IF share_id IS NULL THEN
        IF NOT EXISTS (SELECT 1 FROM circles_membership m WHERE m.id = p_member AND m.status = 'active') THEN
            outcome := 'not_member';
        ELSIF EXISTS (
            SELECT 1 FROM wallet_share d WHERE d.envelope_id = p_envelope AND d.claimed_by_id = p_member
        ) THEN
            outcome := 'already_grabbed';
        ELSIF (SELECT e.status FROM wallet_envelope e WHERE e.id = p_envelope) = 'expired' THEN
            outcome := 'expired';
        ELSE
            outcome := 'empty';  -- every share is claimed, refunded, or being claimed by someone else now
        END IF;
        RETURN NEXT;
        RETURN;
    END IF;
    -- 3. The member's wallet (made on first use), then escrow → wallet, the accounts locked in id order.
    SELECT a.id INTO v_wallet FROM wallet_account a WHERE a.kind = 'user' AND a.user_id = v_member.user_id;
    IF v_wallet IS NULL THEN
        INSERT INTO wallet_account (kind, user_id, code, balance, created_at)
        VALUES ('user', v_member.user_id, '', 0, now())
        ON CONFLICT (user_id) WHERE kind = 'user' DO NOTHING RETURNING id INTO v_wallet;
        IF v_wallet IS NULL THEN
            SELECT a.id INTO v_wallet FROM wallet_account a
            WHERE a.kind = 'user' AND a.user_id = v_member.user_id;
        END IF;
    END IF;
    IF v_wallet < v_env.escrow_id THEN
        UPDATE wallet_account SET balance = balance + amount WHERE id = v_wallet;
    END IF;
    UPDATE wallet_account SET balance = balance - amount WHERE id = v_env.escrow_id RETURNING balance INTO v_left;
    IF v_wallet > v_env.escrow_id THEN
        UPDATE wallet_account SET balance = balance + amount WHERE id = v_wallet;
    END IF;
    INSERT INTO wallet_ledgertransaction (kind, reference, envelope_id, actor_id, created_at)
    VALUES ('envelope_grab', 'share:' || share_id, p_envelope, v_member.user_id, p_now)
    RETURNING id INTO v_txn;
    INSERT INTO wallet_entry (transaction_id, account_id, amount)
    VALUES (v_txn, v_env.escrow_id, -amount), (v_txn, v_wallet, amount);
    -- 4. The escrow is locked until commit: when it is empty, this grab took the last share.
    IF v_left = 0 AND (
        SELECT count(*) FROM wallet_share c WHERE c.envelope_id = p_envelope AND c.claimed_by_id IS NOT NULL
    ) = v_env.share_count THEN
        SELECT c.id INTO v_best FROM wallet_share c
        WHERE c.envelope_id = p_envelope AND c.claimed_by_id IS NOT NULL
        ORDER BY c.amount_fen DESC, c.claimed_at, c.id LIMIT 1;
        UPDATE wallet_envelope SET status = 'finished', finished_at = p_now, luckiest_id = v_best
        WHERE id = p_envelope AND status = 'open';
        luckiest_id := v_best;
    END IF;
    -- 5. The audit row.
    INSERT INTO core_auditevent (occurred_at, actor_id, circle_id, action, target_type, target_id, data)
    VALUES (p_now, v_member.user_id, v_env.circle_id, 'envelope_grabbed', 'wallet.envelope', p_envelope,
            jsonb_build_object('share', share_id, 'amount_fen', amount));
    outcome := 'ok';
    RETURN NEXT;
END
$fn$;
"""

DROP_FUNCTION = "DROP FUNCTION IF EXISTS wallet_envelope_grab(bigint, bigint, timestamptz)"


def create_function(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GRAB_FUNCTION, params=None)


def drop_function(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0002_share_free_index"),
        ("core", "0002_audit_occurred_at_settable"),
        ("circles", "0002_curated_industries"),
    ]

    operations = [migrations.RunPython(create_function, drop_function)]
