"""Finance's settings (``MOSAICO_*``)."""

from __future__ import annotations

from typing import ClassVar

from mosaico_shared.settings import ServiceSettings


class FinanceSettings(ServiceSettings):  # type: ignore[misc,unused-ignore]
    # (mosaico_shared has no py.typed yet, so without it mypy sees ServiceSettings as Any)
    module: ClassVar[str] = "finance"

    #: Rows a CSV export may hold; a larger period must be exported in parts.
    export_max_rows: int = 200_000
