"""``make up``: every module starts, the demo tenant is provisioned and its admin logs in;
identity's events reach notifications through NATS and its e-mail lands in the Maildir
``make up`` names."""

from __future__ import annotations

import email
import json
import shutil
import subprocess
import sys
import tempfile
from email import policy
from pathlib import Path

import httpx
import pytest
from mosaico_devstack.demo import DEMO_ADMIN, DEMO_TENANT

from tests.devstack.stack import make_up
from tests.fixtures.polling import eventually

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
    for module in ("identity", "crm", "finance", "notifications"):
        assert f"/{module}/docs" in done.stdout
    assert '"tenant": "demo"' in done.stdout
    assert "nats://127.0.0.1:" in done.stdout
    assert f"{state}/mail/new" in done.stdout


def test_an_invite_in_make_up_sends_its_email_to_the_local_maildir(tmp_path):
    with make_up(tmp_path) as stack:
        stack.wait_until_running()
        urls = json.loads((stack.state / "stack.json").read_text())["urls"]
        with httpx.Client(base_url=urls["identity"], timeout=30) as identity:
            login = identity.post("/identity/v1/auth/login", json={
                "tenant": DEMO_TENANT, "login": DEMO_ADMIN["email"],
                "password": DEMO_ADMIN["password"]})  # fmt: skip
            assert login.status_code == 200, login.text
            invite = identity.post(
                "/identity/v1/invites",
                headers={"Authorization": f"Bearer {login.json()['access_token']}"},
                json={"email": "nova.pessoa@demo.mosaico.dev", "full_name": "Nova Pessoa",
                      "roles": ["user"]},
            )  # fmt: skip
            assert invite.status_code == 201, invite.text
        new = stack.state / "mail" / "new"
        [path] = eventually(lambda: list(new.iterdir()), what="the invite's e-mail in the Maildir")
        mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert mail["To"] == "nova.pessoa@demo.mosaico.dev"
        assert "Demo Comércio LTDA" in mail["Subject"]
        assert invite.json()["token"] in mail.get_body(("plain",)).get_content()
