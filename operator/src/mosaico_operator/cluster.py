"""What the operator writes in the cluster besides its own objects' status: the Plan
revision on Tenants, and the Secrets holding first-admin invites. The Secrets it reads
come from its index of them (:mod:`mosaico_operator.secrets`)."""

from __future__ import annotations

import asyncio
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from mosaico_operator.models import GROUP, TENANTS, VERSION

INVITE_KEY = "invite-token"
#: Set on a Tenant when its Plan changes, so the Tenant is reconciled at once.
PLAN_REVISION_ANNOTATION = "mosaico.dev/plan-revision"


def load_kubernetes_config() -> None:
    """In a pod, the service account; elsewhere, KUBECONFIG or ~/.kube/config."""
    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        config.load_kube_config()  # type: ignore[no-untyped-call]


def invite_secret_name(tenant: str) -> str:
    return f"tenant-{tenant}-first-admin-invite"


class Cluster:
    """Blocking Kubernetes calls, run off the event loop."""

    def __init__(self, api: client.ApiClient | None = None) -> None:
        self.core = client.CoreV1Api(api)
        self.custom = client.CustomObjectsApi(api)

    async def mark_plan_changed(self, tenant: str, revision: str) -> None:
        """Annotate a Tenant with its Plan's new revision: a metadata change, so the
        Tenant's plan handler runs now instead of at the next drift tick."""
        body = {"metadata": {"annotations": {PLAN_REVISION_ANNOTATION: revision}}}
        try:
            await asyncio.to_thread(
                self.custom.patch_cluster_custom_object, GROUP, VERSION, TENANTS, tenant, body
            )
        except ApiException as exc:
            if exc.status != 404:  # a Tenant deleted meanwhile needs no news of its plan
                raise

    async def store_invite(self, namespace: str, tenant: str, token: str) -> str:
        """Keep the first admin's invite token in a Secret; returns its name."""
        name = invite_secret_name(tenant)
        body: Any = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {
                    "app.kubernetes.io/managed-by": "mosaico-operator",
                    "mosaico.dev/tenant": tenant,
                },
            },
            "type": "Opaque",
            "stringData": {INVITE_KEY: token},
        }
        try:
            await asyncio.to_thread(self.core.create_namespaced_secret, namespace, body)
        except ApiException as exc:
            if exc.status != 409:
                raise
            await asyncio.to_thread(self.core.patch_namespaced_secret, name, namespace, body)
        return f"{namespace}/{name}"

    async def forget_invite(self, namespace: str, tenant: str) -> None:
        try:
            await asyncio.to_thread(
                self.core.delete_namespaced_secret, invite_secret_name(tenant), namespace
            )
        except ApiException as exc:
            if exc.status != 404:
                raise
