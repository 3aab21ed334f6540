"""notifications' consumer of other modules' events: identity's ``UserInvited`` and
``PasswordResetRequested`` become e-mails to the address they carry, the CRM's
``LeadWon`` a message to whoever the tenant subscribed. Each event queues at most one
message (its id is the message's idempotency key, and the consumer records it with the
message); tenants without notifications are skipped by the backbone."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mosaico_shared.contracts.crm import LeadWon
from mosaico_shared.contracts.identity import PasswordResetRequested, UserInvited
from mosaico_shared.events.consumer import EventConsumer
from mosaico_shared.events.envelope import Event
from mosaico_shared.tenancy.status import TenantStatusSource
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_notifications.models import ConsumedEvent
from mosaico_notifications.settings import NotificationsSettings
from mosaico_notifications.subscriptions.service import messages_for_event

logger = logging.getLogger("mosaico.notifications")

Wake = Callable[[AsyncSession, str], None]


def _brasilia() -> timezone | ZoneInfo:
    try:
        return ZoneInfo("America/Sao_Paulo")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=-3), "BRT")


BRASILIA = _brasilia()


def when(moment: datetime) -> str:
    """``25/11/2026 às 10:45 (horário de Brasília)``."""
    local = moment.astimezone(BRASILIA)
    return local.strftime("%d/%m/%Y às %H:%M") + " (horário de Brasília)"


def brl(amount: Decimal) -> str:
    """``R$ 15.000,00``."""
    whole = f"{amount.quantize(Decimal('0.01')):,.2f}"
    return "R$ " + whole.replace(",", "_").replace(".", ",").replace("_", ".")


class TenantNames:
    """Tenants' display names as identity's registry has them (the slug when identity
    does not answer: an e-mail is better sent with the slug than not at all)."""

    def __init__(self) -> None:
        self.source: TenantStatusSource | None = None

    async def display_name(self, tenant: str) -> str:
        if self.source is None:
            return tenant
        try:
            record = await self.source.status(tenant)
        except Exception as exc:
            logger.info("notifications: tenant name of %s not read (%s)", tenant,
                        type(exc).__name__)  # fmt: skip
            return tenant
        return record.display_name if record is not None else tenant


def event_messages(
    settings: NotificationsSettings, *, wake: Wake, names: TenantNames
) -> EventConsumer:
    """The consumer, queuing with ``settings``' limits and waking the delivery worker
    (``wake``) once the message is committed."""
    consumer = EventConsumer("event-messages", processed=ConsumedEvent)
    # A token that does not open (keys not shared with identity, an altered event) fails
    # the handler: the event is delivered again, then dead-lettered, never mailed broken.
    sealer = settings.sealer()

    def link(path: str, tenant: str, token: str) -> str:
        return f"{settings.app_url.rstrip('/')}/{path}?" + urlencode(
            {"tenant": tenant, "token": token}
        )

    async def queue(
        session: AsyncSession, event: Event[Any], addressed_to: str | None, data: dict[str, Any]
    ) -> None:
        queued = await messages_for_event(
            session, tenant=event.tenant, event_id=event.id, event_type=event.type,
            addressed_to=addressed_to,
            data=data, settings=settings,
        )  # fmt: skip
        if any(message.status == "queued" for message in queued):
            wake(session, event.tenant)

    @consumer.handles(UserInvited)
    async def invite_email(session: AsyncSession, event: Event[UserInvited]) -> None:
        """The invite's e-mail, with the link that accepts it."""
        invite = event.payload
        token = sealer.open(invite.sealed_token)
        await queue(session, event, str(invite.email), {
            "nome": invite.full_name or "", "email": str(invite.email),
            "empresa": await names.display_name(event.tenant),
            "link": link("convite", event.tenant, token), "expira_em": when(invite.expires_at),
            "papeis": ", ".join(invite.roles),
        })  # fmt: skip

    @consumer.handles(PasswordResetRequested)
    async def password_reset_email(
        session: AsyncSession, event: Event[PasswordResetRequested]
    ) -> None:
        """The e-mail with the link that sets a new password."""
        reset = event.payload
        token = sealer.open(reset.sealed_token)
        await queue(session, event, str(reset.email), {
            "nome": reset.full_name, "email": str(reset.email),
            "empresa": await names.display_name(event.tenant),
            "link": link("redefinir-senha", event.tenant, token),
            "expira_em": when(reset.expires_at),
        })  # fmt: skip

    @consumer.handles(LeadWon)
    async def lead_won_message(session: AsyncSession, event: Event[LeadWon]) -> None:
        """The won deal, to whoever the tenant subscribed."""
        won = event.payload
        await queue(session, event, None, {
            "empresa": await names.display_name(event.tenant), "lead_id": str(won.lead_id),
            "valor": brl(won.estimated_value), "motivo": won.reason or "",
            "fechado_em": when(won.closed_at),
        })  # fmt: skip

    return consumer
