"""Queries over the tenant's provider settings."""

from __future__ import annotations

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import delete, select

from mosaico_notifications.models import ProviderSettings


class ProviderRepository(RepositoryBase[ProviderSettings]):
    model = ProviderSettings

    async def of(self, channel: str, *, for_update: bool = False) -> ProviderSettings | None:
        """The settings of ``channel``, row-locked when asked."""
        statement = select(ProviderSettings).where(ProviderSettings.channel == channel)
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    def add(self, settings: ProviderSettings) -> None:
        """Stage new settings (written at the next flush)."""
        self.session.add(settings)

    async def remove(self, channel: str) -> None:
        """Forget the settings of ``channel``."""
        await self.session.execute(
            delete(ProviderSettings).where(ProviderSettings.channel == channel)
        )
