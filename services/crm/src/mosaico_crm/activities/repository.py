"""Queries over the activities of leads."""

from __future__ import annotations

import uuid

from mosaico_shared.repository import RepositoryBase

from mosaico_crm.models import Activity


class ActivityRepository(RepositoryBase[Activity]):
    model = Activity

    async def of_lead(self, lead_id: uuid.UUID) -> list[Activity]:
        """The lead's activities, oldest first."""
        rows = await self.session.scalars(
            self.base_statement()
            .where(Activity.lead_id == lead_id)
            .order_by(Activity.created_at, Activity.id)
        )
        return list(rows)

    async def on_lead(
        self, activity_id: uuid.UUID, lead_id: uuid.UUID, *, for_update: bool = False
    ) -> Activity | None:
        """One activity of one lead, row-locked when asked."""
        return await self.get_by_id(
            activity_id,
            for_update=for_update,
            statement=self.base_statement().where(Activity.lead_id == lead_id),
        )

    def add(self, activity: Activity) -> None:
        """Stage a new activity (written at the next flush)."""
        self.session.add(activity)
