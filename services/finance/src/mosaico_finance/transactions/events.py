"""Events finance emits about transactions: the contracts live in
``mosaico_shared.contracts.finance``, shared with every consumer."""

from __future__ import annotations

from mosaico_shared.contracts.finance import TransactionRecorded

__all__ = ["TransactionRecorded"]
