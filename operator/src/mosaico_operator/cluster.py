"""What the operator writes in the cluster besides its own objects' status: the Plan
revision on Tenants, and the Secrets holding first-admin invites. The Secrets it reads
come from its index of them (:mod:`mosaico_operator.secrets`).

These are four REST calls, made with httpx and the credentials Kopf logged in with
(:class:`kopf.ConnectionInfo` knows its TLS context and ``Authorization`` header). The
``kubernetes`` client would cost the operator's pod 9 MiB of memory for them: Kopf
imports it whenever it is installed, so the image does not install it.
"""

from __future__ import annotations

from typing import Any

import httpx
import kopf

from mosaico_operator.models import GROUP, TENANTS, VERSION

INVITE_KEY = "invite-token"
#: Set on a Tenant when its Plan changes, so the Tenant is reconciled at once.
PLAN_REVISION_ANNOTATION = "mosaico.dev/plan-revision"
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
TIMEOUT_SECONDS = 30.0


class ClusterError(Exception):
    """The API server refused one of the operator's writes."""

    def __init__(self, status: int, method: str, path: str, message: str) -> None:
        super().__init__(f"{method} {path}: {status} {message}")
        self.status = status


def invite_secret_name(tenant: str) -> str:
    return f"tenant-{tenant}-first-admin-invite"


class Cluster:
    """The API server, reached as the operator: the same login as Kopf's own calls.

    :meth:`login` is Kopf's login handler. A 401 (the service account token was rotated
    and the old one has expired) logs in again, the way Kopf does, and retries once.
    """

    def __init__(self) -> None:
        self._login_kwargs: dict[str, Any] = {}
        self._client: httpx.AsyncClient | None = None

    def login(self, **kwargs: Any) -> kopf.ConnectionInfo | None:
        """In a pod, the service account; elsewhere, KUBECONFIG or ~/.kube/config."""
        self._login_kwargs = kwargs
        info = kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)
        if info is not None:
            self._connect(info)
        return info

    def _connect(self, info: kopf.ConnectionInfo) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=info.server,
                verify=False if info.insecure else info.as_ssl_context(),
                timeout=TIMEOUT_SECONDS,
            )
        # A later login brings a rotated token; the server and its CA stay the pod's.
        self._client.headers.update(info.as_http_headers())

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def _send(
        self, method: str, path: str, body: Any = None, *, ok_statuses: tuple[int, ...] = ()
    ) -> int:
        """Send one request; returns its status when it is 2xx or one of ``ok_statuses``."""
        response = await self._request(method, path, body)
        if response.status_code == 401:  # _request sends nothing before the first login
            self.login(**self._login_kwargs)
            response = await self._request(method, path, body)
        if response.is_success or response.status_code in ok_statuses:
            return response.status_code
        raise ClusterError(response.status_code, method, path, _reason(response))

    async def _request(self, method: str, path: str, body: Any) -> httpx.Response:
        if self._client is None:
            raise RuntimeError("the operator has not logged in to the cluster")
        headers = MERGE_PATCH if method == "PATCH" else None
        return await self._client.request(method, path, json=body, headers=headers)

    async def mark_plan_changed(self, tenant: str, revision: str) -> None:
        """Annotate a Tenant with its Plan's new revision: a metadata change, so the
        Tenant's plan handler runs now instead of at the next drift tick."""
        body = {"metadata": {"annotations": {PLAN_REVISION_ANNOTATION: revision}}}
        # A Tenant deleted meanwhile (404) needs no news of its plan.
        await self._send(
            "PATCH", f"/apis/{GROUP}/{VERSION}/{TENANTS}/{tenant}", body, ok_statuses=(404,)
        )

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
        secrets = f"/api/v1/namespaces/{namespace}/secrets"
        if await self._send("POST", secrets, body, ok_statuses=(409,)) == 409:
            await self._send("PATCH", f"{secrets}/{name}", body)
        return f"{namespace}/{name}"

    async def forget_invite(self, namespace: str, tenant: str) -> None:
        name = invite_secret_name(tenant)
        await self._send(
            "DELETE", f"/api/v1/namespaces/{namespace}/secrets/{name}", ok_statuses=(404,)
        )


def _reason(response: httpx.Response) -> str:
    """The API server's Status message; never the request, which may carry a token."""
    try:
        status = response.json()
    except ValueError:
        return response.reason_phrase
    message = status.get("message") if isinstance(status, dict) else None
    return str(message or response.reason_phrase)
