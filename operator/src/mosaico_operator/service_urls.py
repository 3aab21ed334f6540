"""Where the operator may send its credentials: Services inside the cluster only.

A ``Module`` names its service's URL; whoever may create Modules would otherwise choose
where the operator's token goes. The CRD refuses other URLs (a CEL rule with the same
pattern) and the operator checks again before every call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

_LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
#: ``http(s)://<service>.<namespace>.svc[.cluster.local][:port]``, nothing more.
IN_CLUSTER_URL = rf"^https?://{_LABEL}[.]{_LABEL}[.]svc([.]cluster[.]local)?(:[0-9]{{1,5}})?$"
_IN_CLUSTER = re.compile(IN_CLUSTER_URL)


def is_in_cluster(url: str) -> bool:
    """True for a Service URL inside the cluster (``http://crm.mosaico.svc:8000``)."""
    return _IN_CLUSTER.fullmatch(url) is not None


def _host_port(value: str) -> tuple[str, int | None]:
    host, _, port = value.rpartition(":")
    return (host, int(port)) if host and port.isdigit() else (value, None)


class ServiceAddresses(httpx.AsyncHTTPTransport):
    """Connects somewhere else for some hosts while keeping the URL (and its Host
    header) as named: an operator run outside the cluster (a laptop with port-forwards)
    reaches ``crm.mosaico.svc:8000`` at ``127.0.0.1:8002``. Keys are ``host:port`` or
    ``host`` (any port); values ``address:port`` or ``address`` (the same port)."""

    def __init__(self, addresses: Mapping[str, str]) -> None:
        super().__init__()
        self.addresses = {key: _host_port(target) for key, target in addresses.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        host = request.url.host
        target = self.addresses.get(f"{host}:{port}") or self.addresses.get(host)
        if target is not None:
            request.url = request.url.copy_with(host=target[0], port=target[1] or port)
        return await super().handle_async_request(request)
