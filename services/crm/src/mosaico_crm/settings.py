"""The CRM's settings (``MOSAICO_*``)."""

from __future__ import annotations

from typing import ClassVar

from mosaico_shared.settings import ServiceSettings


# mosaico_shared ships no py.typed yet; mypy then sees ServiceSettings as Any.
class CrmSettings(ServiceSettings):  # type: ignore[misc, unused-ignore]
    module: ClassVar[str] = "crm"

    #: Seconds to wait for identity when checking that a lead's new owner is a user.
    owner_check_timeout_seconds: float = 3.0
