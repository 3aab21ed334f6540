"""Every module's domain folders keep one shape: services hold rules and only flush;
every query lives in a repository."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
#: Query building a service must leave to its repository.
QUERY_BUILDERS = {"select", "insert", "update", "delete", "text"}
#: Session calls that read or write rows; ``flush`` and ``refresh`` are the service's.
QUERYING_CALLS = {"execute", "scalar", "scalars", "get", "add", "add_all", "delete", "merge"}


def _service_files() -> list[Path]:
    return sorted(
        path
        for module in ("crm", "finance", "notifications")
        for path in (SERVICES / module / "src").glob("mosaico_*/*/service.py")
    )


@pytest.mark.parametrize("path", _service_files(), ids=lambda p: f"{p.parts[-3]}.{p.parent.name}")
def test_a_service_runs_no_query_of_its_own(path: Path) -> None:
    tree = ast.parse(path.read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
    }
    assert not imported & QUERY_BUILDERS, f"{path}: builds queries ({imported & QUERY_BUILDERS})"
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "session"
    }
    assert not calls & QUERYING_CALLS, f"{path}: session.{sorted(calls & QUERYING_CALLS)}"


@pytest.mark.parametrize("module", ["crm", "finance", "notifications"])
def test_every_domain_folder_has_its_repository(module: str) -> None:
    for service in (SERVICES / module / "src").glob("mosaico_*/*/service.py"):
        assert (service.parent / "repository.py").exists(), service.parent
