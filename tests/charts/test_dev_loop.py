"""The laptop dev loop (kind, Tilt, Skaffold) agrees with the charts and the images.

Nothing here runs docker, kind, tilt or skaffold (none exists on CI); the files are
checked against what they refer to, and the dev values are rendered."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml

from tests.charts.helm import CNPG, MONITORING, Helm, named, of_kind
from tests.charts.test_dockerfiles import IMAGES, Dockerfile
from tests.fixtures.kube import REPO_ROOT

KIND = REPO_ROOT / "manifests" / "kind"
NODE_TRAEFIK = REPO_ROOT / "tests" / "fixtures" / "node_manifests" / "traefik.yaml"
DEV_VALUES = [KIND / "values-dev.yaml", KIND / "values-live.yaml", KIND / "values-secrets.yaml"]
SAMPLES = [
    REPO_ROOT / "manifests" / "samples" / "plans.yaml",
    REPO_ROOT / "manifests" / "samples" / "tenant.yaml",
]


@pytest.fixture(scope="module")
def dev_render(helm: Helm) -> list[dict[str, Any]]:
    """What `tilt up` renders: offline, with the Secrets tools/dev-secrets makes."""
    return helm.template(values=DEV_VALUES, api_versions=[MONITORING, CNPG], existing_secrets=False)


def test_tilt_renders_with_the_secrets_it_makes_beforehand(
    dev_render: list[dict[str, Any]],
) -> None:
    tiltfile = (REPO_ROOT / "Tiltfile").read_text()
    assert "local('tools/dev-secrets %s' % NAMESPACE)" in tiltfile
    assert tiltfile.index("tools/dev-secrets") < tiltfile.index("k8s_yaml(helm(")
    assert "manifests/kind/values-secrets.yaml" in tiltfile
    named_secrets = yaml.safe_load((KIND / "values-secrets.yaml").read_text())["global"][
        "existingSecrets"
    ]
    assert all(name == own for name, own in named_secrets.items())
    script = (REPO_ROOT / "tools" / "dev-secrets").read_text()
    recipes = set(re.findall(r"^    ([a-z-]+)\) args=", script, re.MULTILINE))
    for name in named_secrets:
        assert name in recipes or name.startswith("mosaico-postgres-"), name
    referenced = {
        e["valueFrom"]["secretKeyRef"]["name"]
        for d in of_kind(dev_render, "Deployment")
        for e in d["spec"]["template"]["spec"]["containers"][0].get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert referenced == set(named_secrets) - {"mosaico-postgres-mosaico-operator"}


def test_kind_maps_the_laptops_http_ports_to_traefik() -> None:
    cluster = yaml.safe_load((KIND / "cluster.yaml").read_text())
    mappings = {
        m["hostPort"]: m["containerPort"]
        for node in cluster["nodes"]
        for m in node.get("extraPortMappings", [])
    }
    traefik = yaml.safe_load((KIND / "traefik-values.yaml").read_text())
    assert mappings == {
        80: traefik["ports"]["web"]["nodePort"],
        443: traefik["ports"]["websecure"]["nodePort"],
    }
    assert traefik["service"]["type"] == "NodePort"


def test_the_dev_values_run_local_images_on_cloudnativepg(dev_render: list[dict[str, Any]]) -> None:
    images = {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]["containers"][0]["image"]
        for d in of_kind(dev_render, "Deployment")
    }
    assert images == {
        "identity": "mosaico/identity:dev",
        "crm": "mosaico/crm:dev",
        "finance": "mosaico/finance:dev",
        "notifications": "mosaico/notifications:dev",
        "mosaico-operator": "mosaico/operator:dev",
    }
    assert named(dev_render, "Cluster", "mosaico-postgres")["spec"]["instances"] == 1
    database = named(dev_render, "Database", "mosaico-postgres-identity-platform")["spec"]
    assert database == {
        "name": "identity_platform",
        "owner": "identity",
        "cluster": {"name": "mosaico-postgres"},
    }
    assert (
        named(dev_render, "ConfigMap", "crm-config")["data"]["MOSAICO_NATS_URL"]
        == "nats://nats.nats.svc:4222"
    )


def test_the_platform_expects_the_addons_kind_up_installs(dev_render: list[dict[str, Any]]) -> None:
    """tools/kind-up installs Traefik in `traefik` and Prometheus in `monitoring`, which the
    modules' NetworkPolicies admit, and Prometheus selects every ServiceMonitor."""
    script = (REPO_ROOT / "tools" / "kind-up").read_text()
    assert "--namespace traefik" in script
    assert "--namespace monitoring" in script
    peers = named(dev_render, "NetworkPolicy", "crm")["spec"]["ingress"][0]["from"]
    namespaces = {
        p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for p in peers
        if "namespaceSelector" in p
    }
    assert {"traefik", "monitoring"} <= namespaces
    stack = yaml.safe_load((KIND / "kube-prometheus-stack-values.yaml").read_text())
    assert stack["prometheus"]["prometheusSpec"]["serviceMonitorSelectorNilUsesHelmValues"] is False
    assert stack["grafana"]["sidecar"]["dashboards"]["label"] == "grafana_dashboard"
    for path in re.findall(r"manifests/[\w/.-]+\.yaml", script):
        assert (REPO_ROOT / path).exists(), path
    assert (
        subprocess.run(["bash", "-n", str(REPO_ROOT / "tools" / "kind-up")], check=False).returncode
        == 0
    )


def test_the_real_nodes_traefik_is_the_one_kind_up_installs() -> None:
    """tests/node runs Traefik from tests/fixtures/node_manifests/traefik.yaml in place of
    the official chart (no registry here): the same namespace and pod labels, node ports,
    providers and IngressClass as tools/kind-up with traefik-values.yaml."""
    values = yaml.safe_load((KIND / "traefik-values.yaml").read_text())
    manifest = [d for d in yaml.safe_load_all(NODE_TRAEFIK.read_text()) if d]
    [service] = of_kind(manifest, "Service")
    assert service["spec"]["type"] == values["service"]["type"]
    node_ports = {p["name"]: p["nodePort"] for p in service["spec"]["ports"]}
    assert node_ports == {name: port["nodePort"] for name, port in values["ports"].items()}
    [deployment] = of_kind(manifest, "Deployment")
    assert deployment["metadata"]["namespace"] == "traefik"
    assert deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == (
        "traefik"
    )
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    providers = values["providers"]
    assert ("--providers.kubernetescrd" in container["args"]) == providers["kubernetesCRD"][
        "enabled"
    ]
    assert ("--providers.kubernetesingress" in container["args"]) == (
        providers["kubernetesIngress"]["enabled"]
    )
    cross = str(providers["kubernetesCRD"]["allowCrossNamespace"]).lower()
    assert f"--providers.kubernetescrd.allowCrossNamespace={cross}" in container["args"]
    [ingress_class] = of_kind(manifest, "IngressClass")
    assert ingress_class["metadata"]["name"] == values["ingressClass"]["name"]
    default = ingress_class["metadata"]["annotations"][
        "ingressclass.kubernetes.io/is-default-class"
    ]
    assert default == str(values["ingressClass"]["isDefaultClass"]).lower()


def test_skaffold_builds_every_image_and_sets_it_in_the_chart(helm: Helm) -> None:
    config = yaml.safe_load((REPO_ROOT / "skaffold.yaml").read_text())
    assert re.fullmatch(r"skaffold/v4beta\d+", config["apiVersion"])
    artifacts = {a["image"]: a for a in config["build"]["artifacts"]}
    assert set(artifacts) == {f"mosaico/{image}" for image in IMAGES}
    for image, path in IMAGES.items():
        assert (REPO_ROOT / artifacts[f"mosaico/{image}"]["docker"]["dockerfile"]) == path
    [release] = config["deploy"]["helm"]["releases"]
    templates = release["setValueTemplates"]
    # What skaffold will pass, with its template variables filled in.
    values = [
        f"{key}={re.sub(r'{{[^}]+}}', 'skaffold-built', value)}" for key, value in templates.items()
    ]
    objects = helm.template(
        values=[REPO_ROOT / v for v in release["valuesFiles"]], set_values=values
    )
    images = {
        c["image"]
        for d in of_kind(objects, "Deployment")
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {"skaffold-built:skaffold-built"}


def test_skaffolds_dev_profile_targets_the_dev_stage_and_syncs_source() -> None:
    config = yaml.safe_load((REPO_ROOT / "skaffold.yaml").read_text())
    [profile] = [p for p in config["profiles"] if p["name"] == "dev"]
    artifacts = config["build"]["artifacts"]
    for patch in profile["patches"]:
        match = re.fullmatch(r"/build/artifacts/(\d+)/(docker/target|sync)", patch["path"])
        if not match:
            continue
        artifact = artifacts[int(match.group(1))]
        dockerfile = Dockerfile.parse(REPO_ROOT / artifact["docker"]["dockerfile"])
        if match.group(2) == "docker/target":
            assert {s.name for s in dockerfile.stages} >= {patch["value"]}
        else:
            for rule in patch["value"]["manual"]:
                source = rule["src"].split("**")[0]
                assert (REPO_ROOT / source).is_dir(), source


def tilt_objects(tiltfile: str) -> set[tuple[str, str]]:
    return {(name, kind.lower()) for name, kind in re.findall(r"'([\w.%-]+):(\w+)'", tiltfile)}


def test_the_tiltfile_names_only_objects_that_exist(dev_render: list[dict[str, Any]]) -> None:
    tiltfile = (REPO_ROOT / "Tiltfile").read_text()
    modules = ["identity", "crm", "finance", "notifications"]
    wanted = set()
    for name, kind in tilt_objects(tiltfile):
        for module in modules if "%s" in name else [name]:
            wanted.add((name.replace("%s", module), kind))
    samples = [d for path in SAMPLES for d in yaml.safe_load_all(path.read_text()) if d]
    crds = [
        yaml.safe_load(p.read_text()) for p in (REPO_ROOT / "manifests" / "crds").glob("*.yaml")
    ]
    present = {(o["metadata"]["name"], o["kind"].lower()) for o in [*dev_render, *samples, *crds]}
    assert wanted <= present, wanted - present
    for dockerfile in re.findall(r"dockerfile='([^']+)'", tiltfile):
        path = REPO_ROOT / dockerfile.replace("%s", "identity")
        assert path.exists(), dockerfile
        assert "dev" in {s.name for s in Dockerfile.parse(path).stages} or "operator" in dockerfile


def test_the_dev_target_serves_what_tilt_syncs() -> None:
    for module in ("identity", "crm", "finance", "notifications"):
        dev = Dockerfile.parse(IMAGES[module]).stage("dev")
        [cmd] = dev.all("CMD")
        assert f"/src/services/{module}/src" in cmd
        assert "--reload" in cmd
        assert dev.all("USER") == ["10001:10001"]
