"""The operator's RBAC is least privilege (the lifecycle tests prove it is enough:
the operator under test runs as this service account)."""

from __future__ import annotations

import pytest

from tests.fixtures.kube import KubeCluster
from tests.operator.objects import NAMESPACE, RunningOperator

pytestmark = pytest.mark.slow

ACCOUNT = f"system:serviceaccount:{NAMESPACE}:mosaico-operator"


def can_i(kube: KubeCluster, verb: str, resource: str, namespace: str | None = None) -> bool:
    args = ["auth", "can-i", verb, resource, f"--as={ACCOUNT}"]
    args += [f"--namespace={namespace}"] if namespace else ["--all-namespaces"]
    return kube.kubectl(*args, check=False).stdout.strip() == "yes"


@pytest.mark.parametrize(
    ("verb", "resource", "namespace"),
    [
        ("patch", "tenants.mosaico.dev", None),
        ("patch", "tenants.mosaico.dev/status", None),
        ("watch", "plans.mosaico.dev", None),
        ("watch", "modules.mosaico.dev", None),
        # The Secrets it reads come through a watch into its index.
        ("list", "secrets", NAMESPACE),
        ("watch", "secrets", NAMESPACE),
        ("create", "secrets", NAMESPACE),
        ("create", "events", NAMESPACE),
        ("watch", "namespaces", None),
    ],
)
def test_the_operator_may_do_what_it_needs(
    operator: RunningOperator, kube: KubeCluster, verb: str, resource: str, namespace: str | None
) -> None:
    assert can_i(kube, verb, resource, namespace)


@pytest.mark.parametrize(
    ("verb", "resource", "namespace"),
    [
        ("delete", "tenants.mosaico.dev", None),
        ("create", "tenants.mosaico.dev", None),
        ("patch", "plans.mosaico.dev", None),
        ("patch", "modules.mosaico.dev", None),
        ("list", "secrets", None),
        ("watch", "secrets", "default"),
        ("get", "secrets", "default"),
        ("create", "pods", NAMESPACE),
    ],
)
def test_the_operator_may_not_do_more(
    operator: RunningOperator, kube: KubeCluster, verb: str, resource: str, namespace: str | None
) -> None:
    assert not can_i(kube, verb, resource, namespace)
