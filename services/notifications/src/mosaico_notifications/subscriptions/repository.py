"""Queries over subscriptions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from mosaico_notifications.models import Subscription


class SubscriptionRepository(RepositoryBase[Subscription]):
    model = Subscription

    async def all(self) -> list[Subscription]:
        """Every subscription, by event type."""
        return list(
            await self.session.scalars(select(Subscription).order_by(Subscription.event_type))
        )

    async def of(self, event_type: str, *, for_update: bool = False) -> Subscription | None:
        """The subscription to ``event_type``, row-locked when asked."""
        statement = select(Subscription).where(Subscription.event_type == event_type)
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def enabled_using(self, template_key: str) -> list[str]:
        """Event types whose enabled subscription sends ``template_key``."""
        rows = await self.session.scalars(
            select(Subscription.event_type).where(
                Subscription.enabled.is_(True), Subscription.template_key == template_key
            )
        )
        return sorted(rows)

    def add(self, subscription: Subscription) -> None:
        """Stage a new subscription (written at the next flush)."""
        self.session.add(subscription)

    async def add_missing(self, subscriptions: Iterable[dict[str, Any]]) -> None:
        """Insert each subscription whose event has none; existing ones stay as set."""
        rows = list(subscriptions)
        if rows:
            await self.session.execute(
                insert(Subscription)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["event_type"])
            )
