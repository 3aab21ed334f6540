"""Queries over subscriptions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import select, text

from mosaico_notifications.models import Subscription


class SubscriptionRepository(RepositoryBase[Subscription]):
    model = Subscription

    async def lock_defaults(self) -> None:
        """Serialize seeding the defaults in this tenant (onboarding may be retried
        while a first call still runs) until the transaction ends."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('mosaico.notifications.defaults'))")
        )

    async def all(self) -> list[Subscription]:
        """Every subscription, by event type, oldest first."""
        return list(
            await self.session.scalars(
                select(Subscription).order_by(
                    Subscription.event_type, Subscription.created_at, Subscription.id
                )
            )
        )

    async def enabled_for(self, event_type: str) -> list[Subscription]:
        """The enabled subscriptions to ``event_type``, oldest first."""
        rows = await self.session.scalars(
            select(Subscription)
            .where(Subscription.event_type == event_type, Subscription.enabled.is_(True))
            .order_by(Subscription.created_at, Subscription.id)
        )
        return list(rows)

    async def enabled_using(self, template_key: str) -> list[str]:
        """Event types an enabled subscription sends ``template_key`` on."""
        rows = await self.session.scalars(
            select(Subscription.event_type)
            .where(Subscription.enabled.is_(True), Subscription.template_key == template_key)
            .distinct()
        )
        return sorted(rows)

    async def event_types(self) -> set[str]:
        """Every event type with at least one subscription."""
        return set(await self.session.scalars(select(Subscription.event_type).distinct()))

    def add(self, subscription: Subscription) -> None:
        """Stage a new subscription (written at the next flush)."""
        self.session.add(subscription)

    def add_all(self, subscriptions: Iterable[dict[str, Any]]) -> None:
        """Stage new subscriptions."""
        self.session.add_all(Subscription(**values) for values in subscriptions)

    async def remove(self, subscription: Subscription) -> None:
        """Delete a subscription."""
        await self.session.delete(subscription)
