"""The README's two commands, run the way a newcomer's shell runs them: no uv on PATH.

``tools/bootstrap`` installs uv into pip's user folder (``~/.local/bin``), which a fresh
shell often does not have on PATH; everything ``make`` starts must still find that uv.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.devstack.stack import make_up
from tests.fixtures.uv import REPO_ROOT, uv_executable

pytestmark = pytest.mark.slow


def path_without_uv(shadows: Path) -> str:
    """This PATH minus uv: a folder holding uv is replaced by a copy of its other entries
    (symlinks), and the project's virtual environment is left out as a new shell has it."""
    venv_bin = (REPO_ROOT / ".venv" / "bin").resolve()
    entries = []
    for index, entry in enumerate(os.environ["PATH"].split(os.pathsep)):
        folder = Path(entry)
        if not entry or folder.resolve() == venv_bin:
            continue
        if not any((folder / name).exists() for name in ("uv", "uvx")):
            entries.append(entry)
            continue
        shadow = shadows / str(index)
        shadow.mkdir(parents=True)
        for item in folder.iterdir():
            if item.name not in ("uv", "uvx"):
                (shadow / item.name).symlink_to(item)
        entries.append(str(shadow))
    return os.pathsep.join(entries)


def newcomer_shell(tmp_path: Path) -> tuple[dict[str, str], list[str]]:
    """The environment of a fresh terminal, and the make arguments it needs.

    Where uv is not in the folder ``tools/bootstrap`` installs into (it came with the
    machine, on PATH), ``make`` is told where it is instead of installing a second one.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("UV", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
        and not key.startswith(("PYTEST_", "UV_RUN_"))
    }
    env["PATH"] = path_without_uv(tmp_path / "path")
    no_uv = subprocess.run(
        ["bash", "-c", "command -v uv"], env=env, capture_output=True, text=True, check=False
    )
    assert no_uv.returncode != 0, f"uv is still on PATH: {no_uv.stdout}"
    fallback = subprocess.run(
        [str(REPO_ROOT / "tools" / "uv-path")], env=env, capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    arguments = [] if Path(fallback).is_file() else [f"UV={uv_executable()}"]
    return env, arguments


def test_make_test_finds_uv_off_path(tmp_path: Path) -> None:
    env, arguments = newcomer_shell(tmp_path)
    # One of the tests that ran `uv` by name; the whole of `make test` around it.
    selected = "tests/charts/test_dockerfiles.py -k 'image_environment and crm'"
    done = subprocess.run(
        ["make", "test", f"TESTS={selected}", *arguments],
        cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=1800, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "1 passed" in done.stdout, output[-4000:]


def test_make_up_finds_uv_off_path(tmp_path: Path) -> None:
    env, arguments = newcomer_shell(tmp_path)
    with make_up(tmp_path, *arguments, env=env) as stack:
        stack.wait_until_running()
        assert "/identity/docs" in stack.output
        # A second tenant from its YAML, into the running stack, as the README shows.
        added = subprocess.run(
            ["make", "tenant", "FILE=manifests/samples/tenant.yaml", f"STATE={stack.state}",
             *arguments],
            cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=600, check=False,
        )  # fmt: skip
        assert added.returncode == 0, added.stdout[-3000:] + added.stderr[-3000:]
        assert "Tenant 'acme' is provisioned" in added.stdout
        login = json.loads(re.search(r"-d '(\{.*\})'", added.stdout).group(1))
        identity = re.search(r"curl -s (http://\S+)/identity/v1/auth/login", added.stdout)[1]
        answer = httpx.post(f"{identity}/identity/v1/auth/login", json=login, timeout=30)
        assert answer.status_code == 200, answer.text
