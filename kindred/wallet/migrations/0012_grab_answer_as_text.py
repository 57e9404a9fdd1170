"""The API grab's answer, written as JSON text by `wallet_envelope_grab_api` (replaces 0010's body; same
arguments, same outcomes, same answer once parsed).

0010 built the answer with `json_build_object` per grab, and joined every card of the circle to name the
grabbers. Measured on the demo circle (`EXECUTE` of the answer's statement, 300 times, an envelope of 100
grabs): 1.0–1.3 ms of PostgreSQL's time a grab, about 10 µs a grab listed, more than the grab itself. Every
envelope's answer lists all its grabs, so over an envelope of n shares the answers cost n²/2 of those.
PostgreSQL shares the machine with the server: its time a grab is time the server's requests wait and run
slower in (bench/envelopes_http.py). Now:

- each grab's JSON is one text built by concatenation (`to_json` only where text needs escaping);
- a grabber's name is read through the card's membership index (a scalar subquery: one index probe a grab,
  whatever the circle's size; the hash join read the whole circle's cards);
- `wallet_json_time` formats with one `to_char` (and a second only for a fraction), not three.

What the answer holds, and the rule that a test holds it equal to the general path's JSON, are unchanged.
Nothing on SQLite.
"""

from importlib import import_module
from typing import Any

from django.db import migrations

answer_0010 = import_module("kindred.wallet.migrations.0010_grab_answer_in_one_statement")

# An active token: as kindred.accounts.selectors.token_get_active's statement (a test holds them equal).
TOKEN_CONDITION = answer_0010.TOKEN_CONDITION

# DjangoJSONEncoder's datetime, as 0010's: UTC, milliseconds (cut, not rounded) left out when the microseconds
# are zero, "Z". One expression, so PostgreSQL inlines it.
JSON_TIME_FUNCTION = r"""
CREATE OR REPLACE FUNCTION wallet_json_time(p timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
SELECT to_char(p AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN date_part('microseconds', p)::bigint % 1000000 = 0 THEN ''
            ELSE to_char(p AT TIME ZONE 'UTC', '.MS') END
    || 'Z'
$fn$;
"""

# 0010's function up to its answer (the caller, the envelope, the membership, the grab), unchanged.
_GRAB_UP_TO_ANSWER = answer_0010.GRAB_API_FUNCTION[
    : answer_0010.GRAB_API_FUNCTION.index("    outcome := 'ok';\n")
]

_ANSWER_AS_TEXT = r"""    outcome := 'ok';
    -- GrabResultOut's fields in their order (the envelope may have finished with this grab: read it again).
    SELECT '{"amount_fen":' || v_amount
        || ',"envelope":{"id":' || e.id
        || ',"circle":' || to_json(c.slug)::text
        || ',"sender":{"member_id":' || e.sender_id
        || ',"display_name":' || coalesce(to_json(
            (SELECT sc.display_name FROM circles_membercard sc WHERE sc.membership_id = e.sender_id))::text, 'null')
        || '},"mode":' || to_json(e.mode)::text
        || ',"total_fen":' || e.total_fen
        || ',"share_count":' || e.share_count
        || ',"greeting":' || coalesce(to_json(e.greeting)::text, 'null')
        || ',"is_greeting":' || e.is_greeting
        || ',"status":' || to_json(e.status)::text
        || ',"created_at":"' || wallet_json_time(e.created_at)
        || '","expires_at":"' || wallet_json_time(e.expires_at)
        || '","grabbed_count":' || g.grabbed
        || ',"grabbed_fen":' || g.grabbed_fen
        || ',"remaining_shares":' || g.remaining
        || ',"refunded_fen":' || e.refunded_fen
        || ',"my_amount_fen":' || v_amount
        || ',"can_grab":false'  -- the caller holds a share of it now
        || ',"grabs":' || g.grabs
        || '}}'
    INTO answer
    FROM wallet_envelope e
    JOIN circles_circle c ON c.id = e.circle_id
    CROSS JOIN LATERAL (
        SELECT count(s.claimed_by_id) AS grabbed,
               coalesce(sum(s.amount_fen) FILTER (WHERE s.claimed_by_id IS NOT NULL), 0) AS grabbed_fen,
               count(*) FILTER (WHERE s.claimed_by_id IS NULL AND NOT s.refunded) AS remaining,
               coalesce('[' || string_agg(
                   '{"member":{"member_id":' || s.claimed_by_id
                   || ',"display_name":' || coalesce(to_json(
                       (SELECT mc.display_name FROM circles_membercard mc WHERE mc.membership_id = s.claimed_by_id)
                   )::text, 'null')
                   || '},"amount_fen":' || s.amount_fen
                   || ',"grabbed_at":"' || wallet_json_time(s.claimed_at)
                   || '","luckiest":' || coalesce(s.id = e.luckiest_id, false)
                   || '}',
                   ',' ORDER BY s.claimed_at, s.id
               ) FILTER (WHERE s.claimed_by_id IS NOT NULL) || ']', '[]') AS grabs
        FROM wallet_share s
        WHERE s.envelope_id = e.id
    ) g
    WHERE e.id = p_envelope;
    RETURN NEXT;
END
$fn$;
"""
GRAB_API_FUNCTION = _GRAB_UP_TO_ANSWER + _ANSWER_AS_TEXT
assert GRAB_API_FUNCTION.count(TOKEN_CONDITION) == 1


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(JSON_TIME_FUNCTION, params=None)
        schema_editor.execute(GRAB_API_FUNCTION, params=None)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(answer_0010.JSON_TIME_FUNCTION, params=None)
        schema_editor.execute(answer_0010.GRAB_API_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0011_entry_no_transaction_index")]

    operations = [migrations.RunPython(forwards, backwards)]
