"""The Secrets a reconcile reads (each Module's admin DSN, each first admin's password),
held in a Kopf index that watches them: a thousand Tenants ticking every minute would
otherwise read the same few Secrets from the API server a thousand times a minute."""

from __future__ import annotations

import base64
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from mosaico_operator.models import SecretKeyRef
from mosaico_operator.provisioning.errors import DependencyDown, Rejected

#: (namespace, name) -> the Secret's ``data`` (values base64, as the API serves them).
SecretKey = tuple[str, str]
SecretData = dict[str, str]
SecretStore = Mapping[SecretKey, Collection[SecretData]]

#: Helm keeps every release revision of the namespace in a Secret of this type: large,
#: many, and never what a Module or a Tenant points at.
_HELM_RELEASE = "helm.sh/release.v1"


def index_entry(
    namespace: str | None, name: str, type_: str | None, data: Mapping[str, Any] | None
) -> dict[SecretKey, SecretData]:
    """What the index keeps of one Secret: its data under (namespace, name)."""
    if namespace is None or type_ == _HELM_RELEASE:
        return {}
    return {(namespace, name): {str(k): str(v) for k, v in (data or {}).items()}}


@dataclass(frozen=True)
class Secrets:
    """The watched Secrets, read without an API call."""

    store: SecretStore
    #: Where the operator watches Secrets (and alone may read them).
    namespaces: Collection[str]

    def value(self, ref: SecretKeyRef) -> str:
        """One key of a Secret, decoded; a missing Secret or key is worth waiting for."""
        where = f"Secret {ref.namespace}/{ref.name}"
        if ref.namespace not in self.namespaces:
            raise Rejected(
                "SecretForbidden",
                f"the operator may not read {where}: it reads Secrets only in "
                f"{', '.join(sorted(self.namespaces))} (the operator chart's "
                "rbac.secretNamespaces)",
            )
        found = self.store.get((ref.namespace, ref.name))
        data = next(iter(found), None) if found is not None else None
        if data is None:
            raise DependencyDown("SecretNotFound", f"{where} does not exist")
        if ref.key not in data:
            raise DependencyDown("SecretKeyNotFound", f"{where} has no key {ref.key!r}")
        return base64.b64decode(data[ref.key]).decode()


__all__ = ["SecretStore", "Secrets", "index_entry"]
