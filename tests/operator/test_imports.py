"""What the operator process loads: only what it uses.

It raises and catches the shared problems and presents its own credentials, but serves
no API and opens no ORM session. Loading FastAPI, Starlette, SQLAlchemy and PyJWT with
them would cost its pod about 26 MiB of memory for nothing.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib

from tests.fixtures.uv import REPO_ROOT

LOCK = REPO_ROOT / "uv.lock"
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


def runtime_closure(lock: dict[str, object], root: str) -> set[str]:
    """Every package ``root`` needs at run time, as ``uv sync --no-dev`` installs them."""
    packages = {p["name"]: p for p in lock["package"]}  # type: ignore[attr-defined]
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        package = packages[name]
        todo.extend(d["name"] for d in package.get("dependencies", []))
        for extra in {e for d in package.get("dependencies", []) for e in d.get("extra", [])}:
            todo.extend(d["name"] for d in package.get("optional-dependencies", {}).get(extra, []))
    return seen


def test_the_operators_image_has_no_kubernetes_client() -> None:
    # Kopf imports the kubernetes client whenever it is installed (for its type
    # checks), which costs 9 MiB; the operator talks to the API server with httpx.
    lock = tomllib.loads(LOCK.read_text())
    closure = runtime_closure(lock, "mosaico-operator")
    assert {"kopf", "httpx", "psycopg"} <= closure
    assert "kubernetes" not in closure
