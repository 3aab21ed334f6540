"""Who may read and record transactions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from mosaico_shared.auth import Principal, RequirePermission

from mosaico_finance.roles import READ, WRITE_TRANSACTIONS

TransactionsReader = Annotated[Principal, Depends(RequirePermission(READ))]
TransactionsWriter = Annotated[Principal, Depends(RequirePermission(WRITE_TRANSACTIONS))]
