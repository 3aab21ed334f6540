"""Internal callers in a cluster: projected ServiceAccount tokens with an audience,
requested from the real API server (TokenRequest) and reviewed by a real identity app
(TokenReview), which maps ServiceAccounts to caller names."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from mosaico_devstack.postgres import LocalPostgres
from mosaico_identity.main import create_app
from mosaico_shared.auth import internal_audience

from tests.fixtures.identity import identity_settings
from tests.fixtures.kube import KubeCluster
from tests.fixtures.polling import eventually

NAMESPACE = "callers"
REVIEWER = "identity"  # identity's own ServiceAccount: it asks the API server
AUDIENCE = internal_audience("identity")


def user(name: str) -> str:
    return f"system:serviceaccount:{NAMESPACE}:{name}"


def token_for(kube: KubeCluster, account: str, *, audience: str = AUDIENCE) -> str:
    """A TokenRequest, as the kubelet makes for a projected volume."""
    created = kube.kubectl(
        "create", "token", account, "-n", NAMESPACE, f"--audience={audience}", "--duration=1h"
    )
    return created.stdout.strip()


@pytest.fixture(scope="module")
def accounts(kube: KubeCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The namespace, the callers' ServiceAccounts, and identity's own, bound to the one
    permission reviewing needs; returns identity's token file (as a pod would mount)."""
    kube.kubectl("create", "namespace", NAMESPACE)
    for account in (REVIEWER, "mosaico-operator", "crm", "stranger"):
        kube.kubectl("create", "serviceaccount", account, "-n", NAMESPACE)
    kube.kubectl("create", "clusterrole", "callers-token-reviewer",
                 "--verb=create", "--resource=tokenreviews.authentication.k8s.io")  # fmt: skip
    kube.kubectl("create", "clusterrolebinding", "callers-token-reviewer",
                 "--clusterrole=callers-token-reviewer",
                 f"--serviceaccount={NAMESPACE}:{REVIEWER}")  # fmt: skip
    token_file = tmp_path_factory.mktemp("identity-sa") / "token"
    token_file.write_text(
        kube.kubectl("create", "token", REVIEWER, "-n", NAMESPACE, "--duration=6h").stdout
    )
    return token_file


@pytest.fixture(scope="module")
def identity_in_cluster(
    kube: KubeCluster, postgres: LocalPostgres, accounts: Path
) -> Iterator[TestClient]:
    settings = identity_settings(
        postgres,
        internal_auth="kubernetes",
        internal_callers={user("mosaico-operator"): "operator", user("crm"): "crm"},
        internal_caller_cache_seconds=0,
        kubernetes_api_url=kube.server,
        kubernetes_token_file=accounts,
        kubernetes_ca_file=kube.kubeconfig.parent / "pki" / "ca.crt",
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def list_tenants(identity: TestClient, token: str) -> Any:
    return identity.get("/identity/internal/tenants", headers={"Authorization": f"Bearer {token}"})


def test_the_operators_projected_token_is_reviewed_and_may_list_tenants(
    kube: KubeCluster, identity_in_cluster: TestClient
) -> None:
    response = list_tenants(identity_in_cluster, token_for(kube, "mosaico-operator"))
    assert response.status_code == 200, response.text


def test_a_service_account_may_do_only_its_callers_job(
    kube: KubeCluster, identity_in_cluster: TestClient
) -> None:
    crm = {"Authorization": f"Bearer {token_for(kube, 'crm')}"}
    assert (
        identity_in_cluster.get("/identity/internal/tenants/nobody", headers=crm).status_code == 404
    )
    refused = identity_in_cluster.put("/identity/internal/tenants/acme", headers=crm, json={})
    assert refused.status_code == 403
    assert "crm" in refused.json()["detail"]


def test_a_token_for_another_audience_is_refused(
    kube: KubeCluster, identity_in_cluster: TestClient
) -> None:
    token = token_for(kube, "mosaico-operator", audience=internal_audience("crm"))
    response = list_tenants(identity_in_cluster, token)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_a_token_of_a_service_account_that_is_no_caller_is_refused(
    kube: KubeCluster, identity_in_cluster: TestClient
) -> None:
    response = list_tenants(identity_in_cluster, token_for(kube, "stranger"))
    assert response.status_code == 403
    assert user("stranger") in response.json()["detail"]


def test_an_expired_token_signed_by_the_cluster_is_refused(
    kube: KubeCluster, identity_in_cluster: TestClient
) -> None:
    # TokenRequest issues ten minutes at least; re-sign a real token with the cluster's
    # own key, its lifetime moved into the past.
    real = token_for(kube, "mosaico-operator")
    claims = jwt.decode(real, options={"verify_signature": False})
    now = int(time.time())
    claims.update(iat=now - 7200, nbf=now - 7200, exp=now - 3600)
    key = (kube.kubeconfig.parent / "pki" / "service-account.key").read_text()
    expired = jwt.encode(
        claims, key, algorithm="RS256", headers={"kid": jwt.get_unverified_header(real)["kid"]}
    )
    assert list_tenants(identity_in_cluster, expired).status_code == 401
    claims.update(iat=now, nbf=now, exp=now + 3600)
    fresh = jwt.encode(
        claims, key, algorithm="RS256", headers={"kid": jwt.get_unverified_header(real)["kid"]}
    )
    assert list_tenants(identity_in_cluster, fresh).status_code == 200  # the key was right


def test_a_token_of_a_deleted_service_account_is_refused(
    kube: KubeCluster, identity_in_cluster: TestClient
) -> None:
    kube.kubectl("create", "serviceaccount", "crm-doomed", "-n", NAMESPACE)
    token = token_for(kube, "crm-doomed")
    kube.kubectl("delete", "serviceaccount", "crm-doomed", "-n", NAMESPACE)
    assert list_tenants(identity_in_cluster, token).status_code == 401


def test_a_deleted_and_recreated_service_account_does_not_revive_old_tokens(
    kube: KubeCluster, identity_in_cluster: TestClient
) -> None:
    token = token_for(kube, "crm")
    crm = {"Authorization": f"Bearer {token}"}
    assert (
        identity_in_cluster.get("/identity/internal/tenants/nobody", headers=crm).status_code == 404
    )
    kube.kubectl("delete", "serviceaccount", "crm", "-n", NAMESPACE)
    kube.kubectl("create", "serviceaccount", "crm", "-n", NAMESPACE)
    eventually(
        lambda: (
            identity_in_cluster.get("/identity/internal/tenants/nobody", headers=crm).status_code
            == 401
        ),
        what="the old crm token refused",
    )


def test_without_a_token_or_with_garbage_nothing_is_asked_and_401_answers(
    identity_in_cluster: TestClient,
) -> None:
    assert identity_in_cluster.get("/identity/internal/tenants").status_code == 401
    assert list_tenants(identity_in_cluster, "not-a-jwt").status_code == 401
