"""The operator's own writes (invite Secrets, the Plan annotation) against a real API
server, as the operator's service account, logged in the way Kopf logs in."""

from __future__ import annotations

import asyncio
import base64
import logging
from pathlib import Path

import kopf
import pytest
import yaml
from mosaico_operator.cluster import Cluster, ClusterError, invite_secret_name

from tests.fixtures.kube import KubeCluster
from tests.operator.conftest import service_account_kubeconfig
from tests.operator.objects import NAMESPACE

pytestmark = pytest.mark.slow


@pytest.fixture
def kubeconfig(kube: KubeCluster, tmp_path: Path) -> Path:
    """The operator's service account, with the RBAC its chart gives it."""
    kube.kubectl("create", "namespace", NAMESPACE, check=False)
    return service_account_kubeconfig(kube, tmp_path / "operator.kubeconfig")


def logged_in(kubeconfig: Path, monkeypatch: pytest.MonkeyPatch) -> Cluster:
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    cluster = Cluster()
    info = cluster.login(settings=kopf.OperatorSettings(), logger=logging.getLogger("test"))
    assert info is not None
    return cluster


def invite_in(kube: KubeCluster, tenant: str) -> str | None:
    found = kube.kubectl(
        "get",
        "secret",
        invite_secret_name(tenant),
        "-n",
        NAMESPACE,
        "-o",
        "jsonpath={.data.invite-token}",
        check=False,
    )
    return base64.b64decode(found.stdout).decode() if found.returncode == 0 else None


def test_an_invite_is_stored_replaced_and_forgotten(
    kube: KubeCluster, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster = logged_in(kubeconfig, monkeypatch)

    async def scenario() -> list[str | None]:
        seen = [await cluster.store_invite(NAMESPACE, "padaria-cluster", "first-token")]
        seen.append(invite_in(kube, "padaria-cluster"))
        await cluster.store_invite(NAMESPACE, "padaria-cluster", "second-token")  # 409, patched
        seen.append(invite_in(kube, "padaria-cluster"))
        await cluster.forget_invite(NAMESPACE, "padaria-cluster")
        seen.append(invite_in(kube, "padaria-cluster"))
        await cluster.forget_invite(NAMESPACE, "padaria-cluster")  # already gone: fine
        await cluster.aclose()
        return seen

    where, first, second, gone = asyncio.run(scenario())
    assert where == f"{NAMESPACE}/{invite_secret_name('padaria-cluster')}"
    assert (first, second, gone) == ("first-token", "second-token", None)


def test_a_refused_write_names_the_call_and_the_servers_reason(
    kube: KubeCluster, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster = logged_in(kubeconfig, monkeypatch)

    async def scenario() -> ClusterError:
        try:
            # The operator writes Secrets in its own namespace only.
            with pytest.raises(ClusterError) as refused:
                await cluster.store_invite("default", "padaria-cluster", "a-token")
            # A Tenant deleted meanwhile needs no news of its plan: not an error.
            await cluster.mark_plan_changed("no-such-tenant", "7")
        finally:
            await cluster.aclose()
        return refused.value

    refused = asyncio.run(scenario())
    assert refused.status == 403
    assert "POST /api/v1/namespaces/default/secrets: 403" in str(refused)
    assert 'cannot create resource "secrets"' in str(refused)
    assert "a-token" not in str(refused)


def test_a_rejected_token_logs_in_again_and_retries(
    kube: KubeCluster, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rotated service account token: the one logged in with is refused (401), the
    next login reads the new one."""
    valid = kubeconfig.read_text()
    config = yaml.safe_load(valid)
    config["users"][0]["user"]["token"] = "expired-token"
    kubeconfig.write_text(yaml.safe_dump(config))
    cluster = logged_in(kubeconfig, monkeypatch)
    kubeconfig.write_text(valid)

    async def scenario() -> str | None:
        try:
            await cluster.store_invite(NAMESPACE, "padaria-rotated", "a-token")
            stored = invite_in(kube, "padaria-rotated")
            await cluster.forget_invite(NAMESPACE, "padaria-rotated")
        finally:
            await cluster.aclose()
        return stored

    assert asyncio.run(scenario()) == "a-token"
    assert invite_in(kube, "padaria-rotated") is None
