"""Every contract event by type, for whoever reads events it does not consume itself
(the dead-letter API hides secret fields with it)."""

from __future__ import annotations

from mosaico_shared.contracts import crm, finance, identity, notifications, payments
from mosaico_shared.contracts.events import EventPayload

CONTRACT_EVENTS: dict[str, type[EventPayload]] = {
    event.event_type(): event
    for event in (
        crm.LeadCreated,
        crm.LeadStageChanged,
        crm.LeadWon,
        crm.LeadLost,
        finance.TransactionRecorded,
        identity.UserInvited,
        identity.InviteAccepted,
        identity.PasswordChanged,
        identity.PasswordResetRequested,
        notifications.MessageSent,
        notifications.MessageFailed,
        payments.PaymentSucceeded,
        payments.PaymentFailed,
    )
}
