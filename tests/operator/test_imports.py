"""What the operator process loads: only what it uses.

It raises and catches the shared problems and presents its own credentials, but serves
no API and opens no ORM session. Loading FastAPI, Starlette, SQLAlchemy and PyJWT with
them would cost its pod about 26 MiB of memory for nothing.
"""

from __future__ import annotations

import subprocess
import sys

SERVICE_SIDE = ("fastapi", "starlette", "sqlalchemy", "jwt")


def test_the_operator_loads_no_web_framework_orm_or_token_verifier() -> None:
    probe = (
        "import sys, mosaico_operator.main; "
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & {set(SERVICE_SIDE)!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == []
