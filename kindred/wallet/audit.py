"""The audit actions of the wallet and red envelopes: the values stored in audit rows (never change one)."""

from enum import StrEnum

from kindred.core.audit import audit_actions_register


@audit_actions_register
class Action(StrEnum):
    ENVELOPE_EXPIRED = "envelope_expired"
    ENVELOPE_GRABBED = "envelope_grabbed"
    ENVELOPE_SENT = "envelope_sent"
    GREETING_WAIVED = "greeting_waived"
    WALLET_SETTINGS_UPDATED = "wallet_settings_updated"
    WALLET_TOPUP = "wallet_topup"
    WALLET_WITHDRAWAL = "wallet_withdrawal"
    WALLET_WITHDRAWAL_COMPLETED = "wallet_withdrawal_completed"
    WALLET_WITHDRAWAL_REFUSED = "wallet_withdrawal_refused"
