"""``make up``: every module starts, the demo tenant is provisioned and its admin logs in."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_make_up_provisions_the_demo_tenant_and_its_admin_logs_in():
    # Not under pytest's temporary folder: every pytest run on the machine closes that
    # folder to other users again, and PostgreSQL runs as one when the tests run as root.
    state = Path(tempfile.mkdtemp(prefix="mosaico-devstack-"))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mosaico_devstack.up", "--check",
             "--state", str(state), "--base-port", "0"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    finally:
        shutil.rmtree(state, ignore_errors=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Mosaico is running." in done.stdout
    for module in ("identity", "crm", "finance"):
        assert f"/{module}/docs" in done.stdout
    assert '"tenant": "demo"' in done.stdout
