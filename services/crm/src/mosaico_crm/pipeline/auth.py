"""Who may read and edit the pipeline (admins edit it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from mosaico_crm.access import ActingWith, Actor
from mosaico_crm.roles import STAGES_READ, STAGES_WRITE

StageReader = Annotated[Actor, Depends(ActingWith(STAGES_READ))]
StageEditor = Annotated[Actor, Depends(ActingWith(STAGES_WRITE))]
