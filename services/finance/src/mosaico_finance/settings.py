"""Finance's settings (``MOSAICO_*``)."""

from __future__ import annotations

from typing import ClassVar

from mosaico_shared.settings import ServiceSettings


class FinanceSettings(ServiceSettings):
    module: ClassVar[str] = "finance"

    #: Rows a CSV export may hold; a larger period must be exported in parts.
    export_max_rows: int = 200_000
