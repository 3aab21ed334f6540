"""Who may read the pipeline reports (managers and admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from mosaico_crm.access import ActingWith, Actor
from mosaico_crm.roles import REPORTS_READ

ReportReader = Annotated[Actor, Depends(ActingWith(REPORTS_READ))]
