"""What the charts render, read as the platform's promises (no cluster needed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from mosaico_operator.service_urls import is_in_cluster
from mosaico_shared.auth import internal_audience
from mosaico_shared.contracts.tenants import MODULES

from tests.charts.helm import (
    CHARTS,
    CNPG,
    EXISTING_SECRETS,
    MODULE_CHARTS,
    MONITORING,
    VALUES,
    Helm,
    named,
    of_kind,
)
from tests.fixtures.kube import REPO_ROOT
from tools.chartgen import annotations
from tools.chartgen import generate as chartgen

FULL = VALUES / "full.yaml"
WORKLOADS = ("Deployment",)


@pytest.fixture(scope="module")
def default_render(helm: Helm) -> list[dict[str, Any]]:
    return helm.template()


@pytest.fixture(scope="module")
def full_render(helm: Helm) -> list[dict[str, Any]]:
    return helm.template(values=[FULL], api_versions=[MONITORING, CNPG])


def pod_specs(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (o["metadata"]["name"], o["spec"]["template"]["spec"])
        for o in objects
        if o["kind"] in WORKLOADS
    ]


# --- secure defaults ---------------------------------------------------------------------


@pytest.mark.parametrize("render", ["default_render", "full_render"])
def test_every_container_runs_locked_down(render: str, request: pytest.FixtureRequest) -> None:
    objects = request.getfixturevalue(render)
    specs = pod_specs(objects)
    assert {name for name, _ in specs} == {*MODULE_CHARTS, "mosaico-operator"}
    for name, pod in specs:
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        tmp_volumes = [v for v in pod["volumes"] if v["name"] == "tmp"]
        assert tmp_volumes, name
        assert "emptyDir" in tmp_volumes[0], name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"] == {"drop": ["ALL"]}, name
            assert security["seccompProfile"] == {"type": "RuntimeDefault"}, name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            assert {"mountPath": "/tmp", "name": "tmp"} in container["volumeMounts"], name


def test_modules_probe_their_own_health_and_readiness_paths(
    default_render: list[dict[str, Any]],
) -> None:
    for module in MODULE_CHARTS:
        container = named(default_render, "Deployment", module)["spec"]["template"]["spec"][
            "containers"
        ][0]
        assert container["livenessProbe"]["httpGet"] == {
            "path": f"/{module}/healthz",
            "port": "http",
        }
        assert container["readinessProbe"]["httpGet"] == {
            "path": f"/{module}/readyz",
            "port": "http",
        }
        assert container["startupProbe"]["httpGet"]["path"] == f"/{module}/healthz"
        assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]


def test_only_the_operator_mounts_a_service_account_token(
    default_render: list[dict[str, Any]],
) -> None:
    for name, pod in pod_specs(default_render):
        assert pod["automountServiceAccountToken"] is (name == "mosaico-operator"), name


def test_the_operator_never_runs_twice_without_peering(
    helm: Helm, full_render: list[dict[str, Any]]
) -> None:
    def operator(*set_values: str) -> dict[str, Any]:
        return named(helm.template(set_values=list(set_values)), "Deployment", "mosaico-operator")[
            "spec"
        ]

    def env(spec: dict[str, Any]) -> dict[str, Any]:
        return {
            e["name"]: e.get("value", e.get("valueFrom"))
            for e in spec["template"]["spec"]["containers"][0]["env"]
        }

    default = operator()
    assert default["replicas"] == 1
    assert default["strategy"]["type"] == "RollingUpdate"
    assert env(default)["MOSAICO_PEERING"] == "mosaico-operator"
    assert env(default)["MOSAICO_PEERING_LIFETIME_SECONDS"] == "60"
    # Each replica is named by its pod in the peering object it announces itself in.
    assert env(default)["POD_ID"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert [o["metadata"]["name"] for o in of_kind(helm.template(), "ClusterKopfPeering")] == [
        "mosaico-operator"
    ]
    container = default["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {
        "health": 8080,
        "metrics": 9090,
    }
    alone = operator("operator.peering.enabled=false")
    assert alone["strategy"] == {"type": "Recreate"}
    assert env(alone)["MOSAICO_PEERING"] == ""
    assert "POD_ID" not in env(alone)
    assert (
        of_kind(helm.template(set_values=["operator.peering.enabled=false"]), "ClusterKopfPeering")
        == []
    )
    with pytest.raises(AssertionError, match="replicaCount"):
        operator("operator.peering.enabled=false", "operator.replicaCount=2")
    assert named(full_render, "Deployment", "mosaico-operator")["spec"]["replicas"] == 2


def test_the_operator_settings_match_what_it_reads(default_render: list[dict[str, Any]]) -> None:
    from mosaico_operator.settings import OperatorSettings

    spec = named(default_render, "Deployment", "mosaico-operator")["spec"]["template"]["spec"]
    names = {e["name"] for e in spec["containers"][0]["env"]} - {"POD_ID"}  # read by Kopf
    fields = {f"MOSAICO_{name.upper()}" for name in OperatorSettings.model_fields}
    assert names <= fields, names - fields
    mounts = {m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
    assert str(OperatorSettings.model_fields["backup_dir"].default) in mounts


def _operator_rules(objects: list[dict[str, Any]], *, release: str) -> dict[str, list[Any]]:
    """``Kind name`` (the release prefix taken off) -> rules, for the operator's roles."""
    prefix = f"{release}-" if release else ""
    return {
        f"{o['kind']} {o['metadata']['name'].removeprefix(prefix)}": o["rules"]
        for o in objects
        if o["kind"] in ("Role", "ClusterRole")
        and o["metadata"]["name"].startswith(f"{prefix}mosaico-operator")
    }


def test_the_operator_rbac_of_the_chart_is_the_one_the_operator_tests_run_with(
    default_render: list[dict[str, Any]],
) -> None:
    manifests = list(
        yaml.safe_load_all((REPO_ROOT / "manifests" / "operator-rbac.yaml").read_text())
    )
    rendered = _operator_rules(default_render, release="mosaico")
    assert rendered == _operator_rules(manifests, release="")
    assert set(rendered) == {
        "ClusterRole mosaico-operator-kopf", "ClusterRole mosaico-operator", "Role mosaico-operator"
    }  # fmt: skip


def test_the_operator_rbac_lets_it_watch_secrets_exactly_where_it_watches_them(
    full_render: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator reads Secrets from an index fed by watches in the namespaces it is
    told (MOSAICO_SECRET_NAMESPACES): list and watch there, no Secret anywhere else."""
    from mosaico_operator.settings import OperatorSettings

    spec = named(full_render, "Deployment", "mosaico-operator")["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in spec["containers"][0]["env"]}
    monkeypatch.setenv("MOSAICO_SECRET_NAMESPACES", env["MOSAICO_SECRET_NAMESPACES"])
    watched = OperatorSettings().watched_secret_namespaces
    assert watched == ["databases", "mosaico"]

    roles = {
        (r["metadata"]["namespace"], r["metadata"]["name"]): r for r in of_kind(full_render, "Role")
    }
    secret_verbs: dict[str, set[str]] = {}
    for binding in of_kind(full_render, "RoleBinding"):
        if {"kind": "ServiceAccount", "name": "mosaico-operator", "namespace": "mosaico"} not in (
            binding["subjects"]
        ):
            continue
        namespace = binding["metadata"]["namespace"]
        for rule in roles[(namespace, binding["roleRef"]["name"])]["rules"]:
            if "secrets" in rule["resources"]:
                secret_verbs.setdefault(namespace, set()).update(rule["verbs"])
    assert sorted(secret_verbs) == watched
    assert secret_verbs["databases"] == {"list", "watch"}
    assert {"list", "watch"} <= secret_verbs["mosaico"]
    assert "get" not in secret_verbs["mosaico"]  # never one Secret by name
    for cluster_role in of_kind(full_render, "ClusterRole"):
        for rule in cluster_role["rules"]:
            assert "secrets" not in rule.get("resources", []), cluster_role["metadata"]["name"]


# --- settings wiring -----------------------------------------------------------------------


def test_settings_come_from_a_config_map_and_secrets_from_references(
    default_render: list[dict[str, Any]], full_render: list[dict[str, Any]]
) -> None:
    crm = named(default_render, "Deployment", "crm")["spec"]["template"]["spec"]["containers"][0]
    assert crm["envFrom"] == [{"configMapRef": {"name": "crm-config"}}]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in crm["env"] if "valueFrom" in e}
    assert env["MOSAICO_DATABASE_URL"] == {"name": "mosaico-database", "key": "url"}
    assert set(env) == {"MOSAICO_DATABASE_URL"}  # no shared internal credential
    # The one plain value besides the ConfigMap: whom uvicorn believes forwarded headers from.
    assert [e["name"] for e in crm["env"] if "valueFrom" not in e] == ["FORWARDED_ALLOW_IPS"]
    config = named(default_render, "ConfigMap", "crm-config")["data"]
    assert config["MOSAICO_IDENTITY_URL"] == "http://identity:8000"
    assert config["MOSAICO_LOG_LEVEL"] == "INFO"
    assert all(key.startswith("MOSAICO_") for key in config)
    # No secret value is ever written into a ConfigMap or an env value.
    for cm in of_kind(default_render, "ConfigMap"):
        keys = set(cm.get("data", {})) - {"MOSAICO_CALLER_TOKENS_DIR"}  # a path, not a token
        assert not any("TOKEN" in key or "PASSWORD" in key for key in keys)

    full_identity = named(full_render, "ConfigMap", "identity-config")["data"]
    assert full_identity["MOSAICO_ACCESS_TOKEN_TTL_SECONDS"] == "600"
    assert full_identity["MOSAICO_NATS_URL"] == "nats://nats.nats.svc:4222"
    full_crm = named(full_render, "Deployment", "crm")["spec"]["template"]["spec"]["containers"][0]
    secret_env = {
        e["name"]: e["valueFrom"]["secretKeyRef"] for e in full_crm["env"] if "valueFrom" in e
    }
    assert secret_env["MOSAICO_SMTP_PASSWORD"] == {"name": "crm-smtp", "key": "password"}


def test_a_config_change_rolls_the_pods(helm: Helm) -> None:
    def checksum(*set_values: str) -> str:
        deployment = named(helm.template(set_values=list(set_values)), "Deployment", "crm")
        return str(deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    assert checksum() != checksum("crm.config.logLevel=DEBUG")


def test_no_shared_internal_secret_exists_and_no_pod_mounts_the_default_token(
    default_render: list[dict[str, Any]],
) -> None:
    # Offline, the generated Secrets are the ones made beforehand: the chart renders none.
    assert of_kind(default_render, "Secret") == []
    for name, pod in pod_specs(default_render):
        if name != "mosaico-operator":
            assert pod["automountServiceAccountToken"] is False, name


def _projected(pod: dict[str, Any], volume: str) -> list[dict[str, Any]]:
    (found,) = [v for v in pod["volumes"] if v["name"] == volume]
    return [
        s["serviceAccountToken"]
        for s in found["projected"]["sources"]
        if "serviceAccountToken" in s
    ]


def test_the_operator_holds_one_token_per_module_each_for_that_modules_audience(
    default_render: list[dict[str, Any]],
) -> None:
    pod = named(default_render, "Deployment", "mosaico-operator")["spec"]["template"]["spec"]
    tokens = _projected(pod, "callers")
    assert {t["path"]: t["audience"] for t in tokens} == {m: internal_audience(m) for m in MODULES}
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert env["MOSAICO_CALLER_TOKENS_DIR"] == "/var/run/secrets/mosaico/callers"
    assert is_in_cluster(env["MOSAICO_IDENTITY_URL"])
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert mounts["callers"] == env["MOSAICO_CALLER_TOKENS_DIR"]


def test_modules_call_identity_with_their_own_token_and_review_callers_with_another(
    default_render: list[dict[str, Any]],
) -> None:
    crm = named(default_render, "Deployment", "crm")["spec"]["template"]["spec"]
    assert _projected(crm, "callers") == [
        {"path": "identity", "audience": internal_audience("identity"), "expirationSeconds": 3600}
    ]
    (api_token,) = _projected(crm, "kube-api-access")
    assert "audience" not in api_token  # the API server's own: TokenReview only
    identity = named(default_render, "Deployment", "identity")["spec"]["template"]["spec"]
    assert [v["name"] for v in identity["volumes"] if v["name"] == "callers"] == []
    config = named(default_render, "ConfigMap", "identity-config")["data"]
    assert config["MOSAICO_INTERNAL_AUTH"] == "kubernetes"
    callers = json.loads(config["MOSAICO_INTERNAL_CALLERS"])
    assert callers["system:serviceaccount:mosaico:mosaico-operator"] == "operator"
    assert callers["system:serviceaccount:mosaico:crm"] == "crm"
    assert set(callers.values()) == {"operator", *MODULES} - {"identity"}
    crm_config = named(default_render, "ConfigMap", "crm-config")["data"]
    assert json.loads(crm_config["MOSAICO_INTERNAL_CALLERS"]) == {
        "system:serviceaccount:mosaico:mosaico-operator": "operator"
    }


def test_each_module_may_review_tokens_and_nothing_more(
    default_render: list[dict[str, Any]],
) -> None:
    roles = {r["metadata"]["name"]: r for r in of_kind(default_render, "ClusterRole")}
    bindings = of_kind(default_render, "ClusterRoleBinding")
    for module in MODULE_CHARTS:
        (binding,) = [b for b in bindings if b["subjects"][0]["name"] == module]
        role = roles[binding["roleRef"]["name"]]
        assert role["rules"] == [
            {
                "apiGroups": ["authentication.k8s.io"],
                "resources": ["tokenreviews"],
                "verbs": ["create"],
            }
        ]


def test_the_modules_the_chart_knows_are_the_platforms() -> None:
    lib = (CHARTS / "mosaico-lib" / "templates" / "_callers.tpl").read_text()
    listed = lib.split('define "mosaico-lib.callers.modules" -}}')[1].split("{{-")[0].split()
    assert tuple(listed) == MODULES


def secret_refs(objects: list[dict[str, Any]], variable: str) -> dict[str, Any]:
    """Each workload's Secret reference for ``variable`` (None where it has none)."""
    return {
        name: next(
            (e["valueFrom"] for e in pod["containers"][0].get("env", []) if e["name"] == variable),
            None,
        )
        for name, pod in pod_specs(objects)
    }


OWN = yaml.safe_load(EXISTING_SECRETS.read_text())["global"]["existingSecrets"]


def test_only_identity_holds_its_signing_key_passphrase(
    default_render: list[dict[str, Any]],
) -> None:
    """The Secret itself is generated on a cluster (tests/charts/test_install.py)."""
    refs = secret_refs(default_render, "MOSAICO_SIGNING_KEY_PASSPHRASE")
    assert refs.pop("identity") == {
        "secretKeyRef": {"name": OWN["identity-signing-key"], "key": "passphrase"}
    }
    assert set(refs.values()) == {None}


def test_only_identity_and_notifications_hold_the_event_sealing_key(
    default_render: list[dict[str, Any]],
) -> None:
    refs = secret_refs(default_render, "MOSAICO_EVENT_SEALING_KEYS")
    sealing = {"secretKeyRef": {"name": OWN["event-sealing-key"], "key": "keys"}}
    # identity seals, notifications opens (its extraSecretEnv follows the same name).
    assert refs.pop("identity") == refs.pop("notifications") == sealing
    assert set(refs.values()) == {None}


def test_only_notifications_holds_the_provider_secrets_key(
    default_render: list[dict[str, Any]],
) -> None:
    refs = secret_refs(default_render, "MOSAICO_PROVIDER_SECRETS_KEY")
    assert refs.pop("notifications") == {
        "secretKeyRef": {"name": OWN["notifications-provider-secrets"], "key": "key"}
    }
    assert set(refs.values()) == {None}


def test_every_module_is_told_where_nats_is_by_default(
    default_render: list[dict[str, Any]],
) -> None:
    for module in MODULE_CHARTS:
        config = named(default_render, "ConfigMap", f"{module}-config")["data"]
        assert config["MOSAICO_NATS_URL"] == "nats://nats.nats.svc:4222", module


def test_a_render_that_cannot_see_the_cluster_refuses_to_invent_secrets(helm: Helm) -> None:
    """helm template (a GitOps render) would make a new passphrase on every render, after
    which identity could not open its signing keys: it fails, naming what to do."""
    with pytest.raises(AssertionError) as failure:
        helm.template(existing_secrets=False)
    message = str(failure.value)
    assert "cannot see the cluster" in message
    assert "global.existingSecrets" in message
    # Each generated Secret fails alone until it is named.
    own = dict(OWN)
    own.pop("event-sealing-key")
    with pytest.raises(AssertionError, match=r"Secret event-sealing-key .*keys: keys"):
        helm.template(existing_secrets=False, set_values=[
            f"global.existingSecrets.{name}={value}" for name, value in own.items()
        ])  # fmt: skip


def test_any_module_can_ask_for_generated_secrets_and_name_its_own(helm: Helm) -> None:
    objects = helm.template(set_values=[
        "crm.generatedSecretEnv.MOSAICO_WEBHOOK_KEY.name=crm-keys",
        "crm.generatedSecretEnv.MOSAICO_WEBHOOK_KEY.key=webhook",
        "global.existingSecrets.crm-keys=team-crm-keys",
    ])  # fmt: skip
    assert of_kind(objects, "Secret") == []
    assert secret_refs(objects, "MOSAICO_WEBHOOK_KEY")["crm"] == {
        "secretKeyRef": {"name": "team-crm-keys", "key": "webhook"}
    }
    with pytest.raises(AssertionError, match="Secret crm-keys "):
        helm.template(set_values=[
            "crm.generatedSecretEnv.MOSAICO_WEBHOOK_KEY.name=crm-keys",
            "crm.generatedSecretEnv.MOSAICO_WEBHOOK_KEY.key=webhook",
        ])  # fmt: skip


def test_cloudnativepg_is_shared_by_default_and_dedicated_on_request(
    full_render: list[dict[str, Any]],
) -> None:
    clusters = {c["metadata"]["name"]: c["spec"] for c in of_kind(full_render, "Cluster")}
    assert set(clusters) == {"mosaico-postgres", "crm-postgres"}
    assert clusters["mosaico-postgres"]["instances"] == 3
    assert clusters["crm-postgres"]["storage"] == {"size": "50Gi"}
    # Nobody logs in as the superuser: not the modules, not the operator.
    assert not any(spec["enableSuperuserAccess"] for spec in clusters.values())


def database_secret(objects: list[dict[str, Any]], module: str) -> dict[str, str]:
    refs = secret_refs(objects, "MOSAICO_DATABASE_URL")[module]
    return dict(refs["secretKeyRef"])


def managed_roles(cluster: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}


def test_each_module_logs_in_as_its_own_role_and_the_operator_as_mosaico_operator(
    full_render: list[dict[str, Any]],
) -> None:
    """One role per module on each Cluster; a module's pods take their DSN from that
    role's Secret, the Module object gives the operator mosaico_operator's."""
    for cluster_name, modules in (
        ("mosaico-postgres", [m for m in MODULE_CHARTS if m != "crm"]),
        ("crm-postgres", ["crm"]),
    ):
        roles = managed_roles(named(full_render, "Cluster", cluster_name))
        assert set(roles) == {*modules, "mosaico_operator"}
        operator_secret = OWN[f"{cluster_name}-mosaico-operator"]
        assert roles["mosaico_operator"]["passwordSecret"] == {"name": operator_secret}
        for module in modules:
            secret = OWN[f"{cluster_name}-{module}"]
            assert roles[module]["passwordSecret"] == {"name": secret}, module
            assert database_secret(full_render, module) == {"name": secret, "key": "uri"}
            database = named(full_render, "Module", module)["spec"]["database"]
            assert database["owner"] == module
            assert database["adminSecretRef"] == {
                "name": operator_secret, "namespace": "mosaico", "key": "uri"}  # fmt: skip
    identity_platform = named(full_render, "Database", "mosaico-postgres-identity-platform")
    assert identity_platform["spec"]["owner"] == "identity"


def test_the_operator_role_creates_databases_and_roles_and_is_no_superuser(
    full_render: list[dict[str, Any]],
) -> None:
    for cluster in of_kind(full_render, "Cluster"):
        roles = managed_roles(cluster)
        operator = roles.pop("mosaico_operator")
        assert operator["login"] is True
        assert operator["superuser"] is False
        assert operator["createdb"] is True
        assert operator["createrole"] is True
        # A member of every module role: it creates, dumps and drops their databases.
        assert sorted(operator["inRoles"]) == sorted(roles)
        for name, role in roles.items():
            assert role["login"] is True, name
            assert (role["superuser"], role["createdb"], role["createrole"]) == (False,) * 3, name
            assert "inRoles" not in role, name


def test_role_secrets_are_generated_with_their_dsn_unless_named(helm: Helm) -> None:
    """Without a name in global.existingSecrets, a role's Secret is generated on the
    cluster like the others; offline that fails instead of inventing a password."""
    own = {k: v for k, v in OWN.items() if k != "mosaico-postgres-finance"}
    with pytest.raises(AssertionError, match=r"Secret mosaico-postgres-finance .*password"):
        helm.template(
            existing_secrets=False, api_versions=[CNPG],
            set_values=["global.database.provider=cnpg",
                        *(f"global.existingSecrets.{k}={v}" for k, v in own.items())],
        )  # fmt: skip


def test_every_module_pod_gets_the_connection_budget(default_render: list[dict[str, Any]]) -> None:
    for module in MODULE_CHARTS:
        config = named(default_render, "ConfigMap", f"{module}-config")["data"]
        assert config["MOSAICO_DB_CONNECTION_BUDGET"] == "20", module
        assert "MOSAICO_DATABASE_HOST" not in config, module
    assert of_kind(default_render, "Pooler") == []


def test_with_the_pooler_the_modules_connect_through_pgbouncer_in_transaction_mode(
    helm: Helm,
) -> None:
    objects = helm.template(
        api_versions=[CNPG],
        set_values=["global.database.provider=cnpg", "global.database.cnpg.pooler.enabled=true",
                    "global.database.connectionBudget=12", "finance.database.dedicatedCluster=true",
                    "global.existingSecrets.finance-postgres-finance=finance-db",
                    "global.existingSecrets.finance-postgres-mosaico-operator=finance-db-admin"],
    )  # fmt: skip
    pooler = named(objects, "Pooler", "mosaico-postgres-pooler-rw")["spec"]
    assert pooler["cluster"] == {"name": "mosaico-postgres"}
    assert (pooler["type"], pooler["pgbouncer"]["poolMode"]) == ("rw", "transaction")
    for module in MODULE_CHARTS:
        config = named(objects, "ConfigMap", f"{module}-config")["data"]
        assert config["MOSAICO_DB_CONNECTION_BUDGET"] == "12", module
        if module == "finance":  # its own Cluster: no pooler in front of it
            assert "MOSAICO_DATABASE_HOST" not in config
            continue
        assert config["MOSAICO_DATABASE_HOST"] == "mosaico-postgres-pooler-rw.mosaico.svc:5432"
        assert config["MOSAICO_DB_TRANSACTION_POOLER"] == "true"
    # The operator creates and drops databases: it keeps talking to the Cluster itself.
    operator = named(objects, "Deployment", "mosaico-operator")
    env = json.dumps(operator["spec"]["template"]["spec"]["containers"][0].get("env", []))
    assert "pooler" not in env


def test_an_external_database_is_read_from_a_secret(default_render: list[dict[str, Any]]) -> None:
    assert of_kind(default_render, "Cluster") == []
    admin = named(default_render, "Module", "finance")["spec"]["database"]["adminSecretRef"]
    assert admin == {"name": "mosaico-database", "namespace": "mosaico", "key": "adminUrl"}


def test_each_module_registers_itself_for_the_operator(
    default_render: list[dict[str, Any]],
) -> None:
    modules = {m["metadata"]["name"]: m for m in of_kind(default_render, "Module")}
    assert set(modules) == set(MODULE_CHARTS)
    for name, module in modules.items():
        assert module["apiVersion"] == "mosaico.dev/v1alpha1"
        assert "namespace" not in module["metadata"]  # cluster-scoped
        spec = module["spec"]
        assert spec["serviceUrl"] == f"http://{name}.mosaico.svc:8000"
        assert spec["onboardingPath"] == f"/{name}/internal/tenants/{{tenant}}/onboard"
        assert spec["version"] == "0.1.0"


def test_disabling_a_module_removes_everything_of_it(helm: Helm) -> None:
    objects = helm.template(set_values=["crm.enabled=false"])
    assert not [
        o for o in objects if o["metadata"].get("labels", {}).get("mosaico.dev/module") == "crm"
    ]
    paths = [
        p["path"] for p in named(objects, "Ingress", "mosaico")["spec"]["rules"][0]["http"]["paths"]
    ]
    assert paths
    assert not [p for p in paths if p.startswith("/crm")]


# --- ingress, gateway and network policies ---------------------------------------------------------


def ingress_paths(objects: list[dict[str, Any]]) -> dict[str, str]:
    ingress = named(objects, "Ingress", "mosaico")
    return {
        p["path"]: p["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    }


def test_the_ingress_routes_only_public_paths_of_each_module(
    default_render: list[dict[str, Any]],
) -> None:
    paths = ingress_paths(default_render)
    for module in MODULE_CHARTS:
        assert paths[f"/{module}/v1"] == module
        assert paths[f"/{module}/openapi.json"] == module
        assert f"/{module}" not in paths
        for private in ("internal", "metrics", "healthz", "readyz"):
            assert not [p for p in paths if p.startswith(f"/{module}/{private}")], private
    assert paths["/identity/.well-known"] == "identity"
    ingress = named(default_render, "Ingress", "mosaico")
    assert ingress["spec"]["ingressClassName"] == "traefik"
    assert all(p["pathType"] == "Prefix" for p in ingress["spec"]["rules"][0]["http"]["paths"])


def test_a_public_path_can_never_expose_internal_routes(helm: Helm) -> None:
    for bad in ("internal", "internal/tenants", "metrics"):
        with pytest.raises(AssertionError, match="publicPaths"):
            helm.template(set_values=[f"crm.publicPaths={{v1,{bad}}}"])


def test_ingress_policies_become_traefik_middlewares(
    default_render: list[dict[str, Any]], full_render: list[dict[str, Any]]
) -> None:
    default = {m["metadata"]["name"]: m["spec"] for m in of_kind(default_render, "Middleware")}
    assert default == {
        "mosaico-body-size": {"buffering": {"maxRequestBodyBytes": 10485760}},
        "mosaico-rate-limit": {"rateLimit": {"average": 100, "burst": 200, "period": "1s"}},
    }
    annotation = named(default_render, "Ingress", "mosaico")["metadata"]["annotations"][
        "traefik.ingress.kubernetes.io/router.middlewares"
    ]
    assert (
        annotation
        == "mosaico-mosaico-body-size@kubernetescrd,mosaico-mosaico-rate-limit@kubernetescrd"
    )

    full = {m["metadata"]["name"]: m["spec"] for m in of_kind(full_render, "Middleware")}
    assert full["mosaico-cors"]["headers"]["accessControlAllowOriginList"] == [
        "https://app.example.com.br"
    ]
    ingress = named(full_render, "Ingress", "mosaico")
    assert ingress["spec"]["tls"] == [
        {"secretName": "mosaico-tls", "hosts": ["mosaico.example.com.br"]}
    ]
    assert ingress["spec"]["rules"][0]["host"] == "mosaico.example.com.br"
    assert (
        "mosaico-mosaico-cors@kubernetescrd"
        in ingress["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"]
    )


def test_another_ingress_controller_gets_only_the_given_annotations(helm: Helm) -> None:
    objects = helm.template(set_values=["ingress.controller=none", "ingress.className=haproxy",
                                        "ingress.annotations.haproxy\\.org/rate-limit-requests=100"])  # fmt: skip
    assert of_kind(objects, "Middleware") == []
    ingress = named(objects, "Ingress", "mosaico")
    assert ingress["spec"]["ingressClassName"] == "haproxy"
    assert ingress["metadata"]["annotations"] == {"haproxy.org/rate-limit-requests": "100"}


def test_the_gateway_api_route_matches_the_ingress(full_render: list[dict[str, Any]]) -> None:
    route = named(full_render, "HTTPRoute", "mosaico")
    assert route["spec"]["parentRefs"] == [
        {"name": "public", "namespace": "gateway-system", "sectionName": "https"}
    ]
    routed = {
        match["path"]["value"]: rule["backendRefs"][0]["name"]
        for rule in route["spec"]["rules"]
        for match in rule["matches"]
    }
    assert routed == ingress_paths(full_render)
    assert routed["/finance/reports"] == "finance"


def test_modules_believe_forwarded_headers_only_from_the_ingress_controllers_range(
    helm: Helm, default_render: list[dict[str, Any]]
) -> None:
    def allowed(objects: list[dict[str, Any]]) -> dict[str, str]:
        return {
            name: next(e["value"] for e in pod["containers"][0]["env"]
                       if e["name"] == "FORWARDED_ALLOW_IPS")
            for name, pod in pod_specs(objects) if name != "mosaico-operator"
        }  # fmt: skip

    assert allowed(default_render) == dict.fromkeys(MODULE_CHARTS, "10.244.0.0/16")
    changed = allowed(helm.template(set_values=["crm.forwardedAllowIps=10.42.0.0/16\\,fd00::/8"]))
    assert changed["crm"] == "10.42.0.0/16,fd00::/8"
    assert changed["finance"] == "10.244.0.0/16"
    # Trusting every peer would let any client claim any address.
    for everyone in ("*", "10.0.0.0/8\\,*"):
        with pytest.raises(AssertionError, match="forwardedAllowIps"):
            helm.template(set_values=[f"crm.forwardedAllowIps={everyone}"])


def test_network_policies_admit_only_the_platform_the_ingress_and_prometheus(
    default_render: list[dict[str, Any]],
) -> None:
    for module in MODULE_CHARTS:
        policy = named(default_render, "NetworkPolicy", module)["spec"]
        assert policy["podSelector"]["matchLabels"] == {
            "app.kubernetes.io/name": module, "app.kubernetes.io/instance": "mosaico"}  # fmt: skip
        assert policy["policyTypes"] == ["Ingress"]
        [rule] = policy["ingress"]
        assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
        peers = rule["from"]
        assert {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "mosaico",
                                                "app.kubernetes.io/instance": "mosaico"}}} in peers  # fmt: skip
        by_namespace = {
            p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]: p["podSelector"]["matchLabels"]
            for p in peers if "namespaceSelector" in p
        }  # fmt: skip
        assert by_namespace == {
            "traefik": {"app.kubernetes.io/name": "traefik"},
            "mosaico": {"app.kubernetes.io/name": "mosaico-operator"},
            "monitoring": {"app.kubernetes.io/name": "prometheus"},
        }
    # The operator's own pods carry the label the modules admit.
    operator = named(default_render, "Deployment", "mosaico-operator")
    assert (
        operator["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
        == "mosaico-operator"
    )


# --- scaling ---------------------------------------------------------------------------------------


def test_modules_scale_horizontally_and_survive_disruptions(
    default_render: list[dict[str, Any]], full_render: list[dict[str, Any]]
) -> None:
    for module in MODULE_CHARTS:
        hpa = named(default_render, "HorizontalPodAutoscaler", module)["spec"]
        assert hpa["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": module,
        }
        assert "replicas" not in named(default_render, "Deployment", module)["spec"]
        assert named(default_render, "PodDisruptionBudget", module)["spec"]["maxUnavailable"] == 1
    assert [h["metadata"]["name"] for h in of_kind(full_render, "HorizontalPodAutoscaler")] == [
        "finance",
        "identity",
        "notifications",
    ]
    assert named(full_render, "Deployment", "crm")["spec"]["replicas"] == 3


# --- monitoring ---------------------------------------------------------------------------------------


def test_monitoring_objects_are_skipped_without_the_prometheus_operator(
    default_render: list[dict[str, Any]], full_render: list[dict[str, Any]]
) -> None:
    assert of_kind(default_render, "ServiceMonitor") == []
    assert of_kind(default_render, "PrometheusRule") == []
    monitors = {m["metadata"]["name"]: m["spec"] for m in of_kind(full_render, "ServiceMonitor")}
    assert set(monitors) == {*MODULE_CHARTS, "mosaico-operator"}
    for module in MODULE_CHARTS:
        assert monitors[module]["endpoints"][0]["path"] == f"/{module}/metrics"
    assert monitors["mosaico-operator"]["endpoints"][0]["port"] == "metrics"
    rules = {r["metadata"]["name"]: r for r in of_kind(full_render, "PrometheusRule")}
    assert set(rules) == {*MODULE_CHARTS, "mosaico-operator"}
    assert rules["identity"]["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_every_dashboard_is_a_labelled_config_map_of_valid_json(
    full_render: list[dict[str, Any]],
) -> None:
    dashboards = [
        c for c in of_kind(full_render, "ConfigMap") if c["metadata"]["name"].endswith("dashboard")
    ]
    names = {c["metadata"]["name"] for c in dashboards}
    assert names == {f"{m}-dashboard" for m in MODULE_CHARTS} | {
        "mosaico-operator-dashboard",
        "mosaico-overview-dashboard",
    }
    uids = set()
    for config_map in dashboards:
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        [(file, text)] = config_map["data"].items()
        assert file.endswith(".json")
        dashboard = json.loads(text)
        uids.add(dashboard["uid"])
        assert dashboard["panels"], file
        for panel in dashboard["panels"]:
            assert panel["targets"], panel["title"]
            assert all(t["expr"] for t in panel["targets"]), panel["title"]
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24
            assert {"x", "y", "w", "h"} == set(grid)
    assert len(uids) == len(dashboards)


def test_a_module_dashboard_is_the_same_for_every_module(full_render: list[dict[str, Any]]) -> None:
    def dashboard(module: str) -> str:
        [text] = named(full_render, "ConfigMap", f"{module}-dashboard")["data"].values()
        return str(text).replace(module, "<module>")

    assert len({dashboard(module) for module in MODULE_CHARTS}) == 1


def test_a_new_module_brings_its_dashboard_rules_and_route_with_a_few_values(
    helm: Helm, tmp_path: Any
) -> None:
    """What the next module's chart will be: Chart.yaml, the one-line template, and what
    `make charts` writes (values, schema, dashboard)."""
    chart = helm.charts / "payments"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        (CHARTS / "crm" / "Chart.yaml").read_text().replace("name: crm", "name: payments")
    )
    (chart / "templates" / "module.yaml").write_text(
        (CHARTS / "crm" / "templates" / "module.yaml").read_text()
    )
    chartgen.write(chartgen.module_chart_files(chart))
    helm.run("dependency", "build", "--skip-refresh", str(chart))
    objects = helm.template("payments", api_versions=[MONITORING])
    kinds = sorted(o["kind"] for o in objects)
    assert kinds == sorted(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap",
                            "ConfigMap", "Deployment", "Service",
                            "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy",
                            "ServiceMonitor", "PrometheusRule", "Module"])  # fmt: skip
    rule = named(objects, "PrometheusRule", "payments")
    assert rule["spec"]["groups"][0]["name"] == "mosaico-payments"
    dashboard = named(objects, "ConfigMap", "payments-dashboard")
    assert "grafana_dashboard" in dashboard["metadata"]["labels"]
    assert json.loads(dashboard["data"]["mosaico-payments.json"])["title"] == ("Mosaico / payments")
    deployment = named(objects, "Deployment", "payments")["spec"]["template"]["spec"]
    assert deployment["containers"][0]["image"] == "ghcr.io/mosaico/payments:0.1.0"


def test_what_make_charts_writes_is_current() -> None:
    """Module values, schemas, dashboards and the operator chart's CRDs are generated
    from one source each; a change there must be followed by `make charts`."""
    stale = chartgen.stale_files(chartgen.generated())
    assert not stale, f"run `make charts`: stale {[str(p) for p in stale]}"


def test_module_charts_share_one_values_schema() -> None:
    schemas = {(CHARTS / m / "values.schema.json").read_text() for m in MODULE_CHARTS}
    assert len(schemas) == 1


@pytest.mark.parametrize("chart", MODULE_CHARTS)
def test_helm_show_values_documents_every_module_value(helm: Helm, chart: str) -> None:
    """`helm show values <module>` is the whole story: every default, each with its
    `## @param` line, and nothing merged in later by a template."""
    shown = helm.run("show", "values", helm.chart(chart)).stdout
    params = annotations.parse(shown, chart)
    documented = {p.path for p in params.values() if not p.extra}
    opaque = {p.path for p in params.values() if p.opaque}

    def paths(values: dict[str, Any], prefix: str = "") -> Iterator[str]:
        for key, value in values.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict) and value and path not in opaque:
                yield from paths(value, f"{path}.")
            else:
                yield path

    assert set(paths(yaml.safe_load(shown))) == documented
    rendered = helm.template(chart)
    assert (
        named(rendered, "Deployment", chart)["spec"]["template"]["spec"]["containers"][0][
            "readinessProbe"
        ]["periodSeconds"]
        == yaml.safe_load(shown)["readinessProbe"]["periodSeconds"]
    )


def test_the_operator_chart_ships_the_crds_of_manifests() -> None:
    """A real directory (a packaged chart carries no links), the same files as manifests/crds."""
    crds = CHARTS / "mosaico-operator" / "crds"
    assert crds.is_dir()
    assert not crds.is_symlink()
    manifests = CHARTS.parent / "manifests" / "crds"
    assert sorted(p.name for p in crds.iterdir()) == sorted(p.name for p in manifests.iterdir())
    for path in manifests.iterdir():
        assert (crds / path.name).read_text() == path.read_text(), path.name


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("ingress.controller=nginx", "controller"),
        ("global.database.provider=mysql", "provider"),
        ("crm.image.digest=latest", "digest"),
        (
            "finance.autoscaling.targetCPUUtilizationPercentage=150",
            "targetCPUUtilizationPercentage",
        ),
        ("identity.metrics.prometheusRule.errorRatio=5", "errorRatio"),
        ("ingress.rateLimit.period=often", "period"),
        ("crm.replicaz=3", "replicaz"),
        ("global.database.connectionBudget=64", "connectionBudget"),
    ],
)
def test_the_schemas_refuse_values_that_cannot_work(
    helm: Helm, setting: str, complaint: str
) -> None:
    with pytest.raises(AssertionError, match=complaint):
        helm.template(set_values=[setting])


def test_the_production_example_serves_https_only_with_a_certificate(helm: Helm) -> None:
    objects = helm.template(
        values=[CHARTS / "mosaico" / "values-production.yaml"], api_versions=[MONITORING, CNPG]
    )
    ingress = named(objects, "Ingress", "mosaico")
    assert ingress["spec"]["tls"] == [
        {"secretName": "mosaico-tls", "hosts": ["mosaico.example.com.br"]}
    ]
    assert ingress["spec"]["rules"][0]["host"] == "mosaico.example.com.br"
    annotations = ingress["metadata"]["annotations"]
    assert annotations["traefik.ingress.kubernetes.io/router.tls"] == "true"
    assert annotations["traefik.ingress.kubernetes.io/router.entrypoints"] == "websecure"
    assert annotations["cert-manager.io/cluster-issuer"]
    assert named(objects, "Cluster", "mosaico-postgres")["spec"]["instances"] == 3
    images = {
        c["image"] for d in of_kind(objects, "Deployment")
        for c in d["spec"]["template"]["spec"]["containers"]
    }  # fmt: skip
    assert images == {f"ghcr.io/mosaico/{m}:0.1.0" for m in (*MODULE_CHARTS, "operator")}
    assert named(objects, "Deployment", "mosaico-operator")["spec"]["replicas"] == 2
