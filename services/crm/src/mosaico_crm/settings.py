"""The CRM's settings (``MOSAICO_*``)."""

from __future__ import annotations

from typing import ClassVar

from mosaico_shared.settings import ServiceSettings


class CrmSettings(ServiceSettings):
    module: ClassVar[str] = "crm"
