"""``make up``: every module starts, the demo tenant is provisioned and its admin logs in."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_make_up_provisions_the_demo_tenant_and_its_admin_logs_in(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mosaico_devstack.up", "--check",
         "--state", str(tmp_path / "state"), "--base-port", "0"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Mosaico is running." in done.stdout
    for module in ("identity", "crm", "finance"):
        assert f"/{module}/docs" in done.stdout
    assert '"tenant": "demo"' in done.stdout
