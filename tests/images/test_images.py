"""Every image, built with podman from its Dockerfile, runs as its chart runs it and is
alive and ready against a real PostgreSQL; what ships holds no build tools.

The services reach the host's PostgreSQL and identity through slirp4netns (the host's
loopback is 10.0.2.2 inside); the operator runs on the host's network against a control
plane of its own, on free ports given through the chart's own settings.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from mosaico_devstack.ports import free_port
from mosaico_devstack.postgres import LocalPostgres

from tests.charts.conftest import helm, k8s_bin  # noqa: F401
from tests.charts.helm import CHARTS, Helm, named
from tests.fixtures.images import HOST_LOOPBACK, BuiltImage, Podman, dockerfile, image_names
from tests.fixtures.kube import REPO_ROOT, KubeCluster, control_plane, ensure_test_binaries
from tests.fixtures.polling import eventually

pytestmark = pytest.mark.slow

IMAGES = image_names()
MODULES = [name for name in IMAGES if name != "operator"]
#: Programs a runtime image must not carry: compilers, build tools, the package manager.
BUILD_TOOLS = ("gcc", "cc", "c++", "g++", "clang", "make", "cc1", "ld", "uv", "uvx", "pip")
PROGRAM_DIRECTORIES = (
    "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin",
    "/app/.venv/bin",
)  # fmt: skip
#: Test frameworks and the repository's own tests.
TEST_PACKAGES = ("pytest", "_pytest", "hypothesis", "schemathesis")


@pytest.fixture(scope="session")
def podman() -> Podman:
    return Podman()


@pytest.fixture(scope="session")
def images(podman: Podman) -> dict[str, BuiltImage]:
    return podman.build()


@pytest.fixture(scope="session")
def chart(helm: Helm) -> list[dict[str, Any]]:  # noqa: F811
    """The umbrella chart with its defaults: the pods the images must live in."""
    return helm.template()


def pod_spec(chart: list[dict[str, Any]], image: str) -> dict[str, Any]:
    deployment = "mosaico-operator" if image == "operator" else image
    spec: dict[str, Any] = named(chart, "Deployment", deployment)["spec"]["template"]["spec"]
    return spec


def chart_user(chart: list[dict[str, Any]], image: str) -> str:
    security = pod_spec(chart, image)["securityContext"]
    return f"{security['runAsUser']}:{security['runAsGroup']}"


def chart_environment(
    chart: list[dict[str, Any]], image: str, overrides: dict[str, str]
) -> dict[str, str]:
    """The container's environment as the chart sets it: its ConfigMap, its values, and
    for each Secret reference a value of the test's (a random one unless overridden)."""
    [container] = pod_spec(chart, image)["containers"]
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        config_map = named(chart, "ConfigMap", source["configMapRef"]["name"])
        env.update(config_map["data"])
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        elif "secretKeyRef" in variable["valueFrom"]:
            env[variable["name"]] = secrets.token_urlsafe(36)
        elif "fieldRef" in variable["valueFrom"]:
            env[variable["name"]] = {"metadata.namespace": "mosaico"}.get(
                variable["valueFrom"]["fieldRef"]["fieldPath"], "mosaico-operator-test"
            )
    return env | overrides


def container_port(chart: list[dict[str, Any]], image: str, name: str) -> int:
    [container] = pod_spec(chart, image)["containers"]
    return next(int(p["containerPort"]) for p in container["ports"] if p["name"] == name)


def dockerfile_command(image: str) -> list[str]:
    """The final stage's CMD (what ships; a dev stage may have its own before it)."""
    commands = [
        line for line in dockerfile(image).read_text().splitlines() if line.startswith("CMD ")
    ]
    argv: list[str] = json.loads(commands[-1].removeprefix("CMD "))
    return argv


def process_of(podman: Podman, container: str) -> tuple[list[str], str]:
    """The container's PID 1: its command line and the user it runs as (uid:gid)."""
    command = podman.run("exec", container, "cat", "/proc/1/cmdline").stdout
    status = podman.run("exec", container, "cat", "/proc/1/status").stdout
    ids = {
        line.split(":")[0]: line.split()[1]
        for line in status.splitlines()
        if line.startswith(("Uid:", "Gid:"))
    }
    return command.rstrip("\0").split("\0"), f"{ids['Uid']}:{ids['Gid']}"


def test_every_image_is_built_with_its_size_and_time_recorded(
    images: dict[str, BuiltImage], podman: Podman
) -> None:
    assert set(images) == set(IMAGES)
    for image in images.values():
        config = podman.inspect(image.reference)
        assert config["Size"] == image.size, image.name
        assert image.seconds >= 0
        print(f"{image.name}: {image.size / 1e6:.0f} MB, built in {image.seconds}s")


@pytest.fixture(scope="module")
def module_databases(postgres: LocalPostgres) -> LocalPostgres:
    """Each module's databases besides its tenants' (database.extraDatabases)."""
    for module in MODULES:
        chart_values = yaml.safe_load((CHARTS / module / "values.yaml").read_text())
        for database in chart_values["database"]["extraDatabases"]:
            postgres.create_database(database, owner=module)
    return postgres


def container_url(postgres: LocalPostgres, module: str) -> str:
    """The module's DSN (its own role) as a container reaches the host's PostgreSQL."""
    return (
        postgres.module_url(module)
        .replace("127.0.0.1", HOST_LOOPBACK)
        .replace("localhost", HOST_LOOPBACK)
    )


IMAGE_PLATFORM_DATABASE = "identity_platform_image"


@pytest.fixture(scope="module")
def running_identity(
    podman: Podman,
    images: dict[str, BuiltImage],
    chart: list[dict[str, Any]],
    module_databases: LocalPostgres,
) -> Iterator[tuple[str, str]]:
    """identity's image running: (container name, URL on the host). The other modules
    verify tokens with its keys."""
    # A platform database of its own: the chart's environment carries a passphrase of
    # its own, and the session's identity_platform holds keys sealed with the tests'.
    module_databases.create_database(IMAGE_PLATFORM_DATABASE, owner="identity")
    overrides = {"MOSAICO_PLATFORM_DATABASE": IMAGE_PLATFORM_DATABASE}
    with run_module(podman, images, chart, module_databases, "identity", overrides) as running:
        yield running


@contextlib.contextmanager
def run_module(
    podman: Podman,
    images: dict[str, BuiltImage],
    chart: list[dict[str, Any]],
    postgres: LocalPostgres,
    module: str,
    overrides: dict[str, str],
) -> Iterator[tuple[str, str]]:
    port = container_port(chart, module, "http")
    env = chart_environment(
        chart, module,
        {"MOSAICO_DATABASE_URL": container_url(postgres, module), **overrides},
    )  # fmt: skip
    with podman.container(
        images[module].reference,
        user=chart_user(chart, module),
        env=env,
        publish=[f"127.0.0.1::{port}"],
    ) as name:
        url = f"http://127.0.0.1:{podman.port(name, port)}"

        def ready() -> bool:
            if not podman.running(name):
                raise AssertionError(f"{module} exited:\n{podman.logs(name)[-3000:]}")
            try:
                return httpx.get(f"{url}/{module}/readyz", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            eventually(ready, what=f"{module}'s image to answer /{module}/readyz", timeout=120)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{podman.logs(name)[-3000:]}") from None
        yield name, url


@pytest.mark.parametrize("module", MODULES)
def test_each_module_image_is_alive_and_ready_as_the_chart_runs_it(
    podman: Podman,
    images: dict[str, BuiltImage],
    chart: list[dict[str, Any]],
    module_databases: LocalPostgres,
    running_identity: tuple[str, str],
    module: str,
) -> None:
    identity_port = running_identity[1].rsplit(":", 1)[1]
    overrides = {"MOSAICO_IDENTITY_URL": f"http://{HOST_LOOPBACK}:{identity_port}"}
    running = (
        contextlib.nullcontext(running_identity)
        if module == "identity"
        else run_module(podman, images, chart, module_databases, module, overrides)
    )
    with running as (name, url):
        assert httpx.get(f"{url}/{module}/healthz", timeout=5).status_code == 200
        readiness = httpx.get(f"{url}/{module}/readyz", timeout=5)
        assert readiness.status_code == 200, readiness.text
        argv, user = process_of(podman, name)
        expected = dockerfile_command(module)  # ["uvicorn", "mosaico_<module>.main:app", ...]
        assert argv[-len(expected) + 1 :] == expected[1:], argv
        assert argv[-len(expected)].endswith(f"/{expected[0]}"), argv
        assert argv[argv.index("--port") + 1] == str(container_port(chart, module, "http"))
        assert user == chart_user(chart, module)
        # The read-only root filesystem holds: nothing can be written outside /tmp.
        write = podman.run("exec", name, "python", "-c", "open('/app/x', 'w')", check=False)
        assert write.returncode != 0
        assert "Read-only file system" in write.stderr


@pytest.fixture(scope="module")
def operator_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeCluster]:
    """A control plane of the operator image's own, with the project's CRDs."""
    with control_plane(ensure_test_binaries(), tmp_path_factory.mktemp("image-kube")) as cluster:
        cluster.apply_crds(*sorted((REPO_ROOT / "manifests" / "crds").glob("*.yaml")))
        yield cluster


def test_the_operator_image_starts_and_is_alive_as_the_chart_runs_it(
    podman: Podman,
    images: dict[str, BuiltImage],
    chart: list[dict[str, Any]],
    postgres: LocalPostgres,
    operator_cluster: KubeCluster,
    tmp_path: Path,
) -> None:
    # The container's user (the chart's, not root) must read its credentials.
    kubeconfig = tmp_path / "kubeconfig"
    shutil.copy(operator_cluster.kubeconfig, kubeconfig)
    kubeconfig.chmod(0o644)
    health, metrics = free_port(), free_port()
    env = chart_environment(
        chart, "operator",
        {"MOSAICO_HEALTH_PORT": str(health), "MOSAICO_METRICS_PORT": str(metrics),
         "KUBECONFIG": "/etc/mosaico/kubeconfig"},
    )  # fmt: skip
    with podman.container(
        images["operator"].reference,
        user=chart_user(chart, "operator"),
        env=env,
        network="host",
        volumes=[f"{kubeconfig}:/etc/mosaico/kubeconfig:ro"],
    ) as name:

        def alive() -> bool:
            if not podman.running(name):
                raise AssertionError(f"the operator exited:\n{podman.logs(name)[-3000:]}")
            try:
                return httpx.get(f"http://127.0.0.1:{health}/healthz", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        eventually(alive, what="the operator image's /healthz", timeout=120)
        exported = httpx.get(f"http://127.0.0.1:{metrics}/metrics", timeout=5).text
        assert "mosaico_operator_tenants" in exported
        argv, user = process_of(podman, name)
        assert argv[-2:] == dockerfile_command("operator")[-2:]
        assert user == chart_user(chart, "operator")
        pg_dump = podman.run("exec", name, "pg_dump", "--version").stdout
        assert pg_dump.startswith("pg_dump (PostgreSQL)"), pg_dump


FILESYSTEM_SCAN = """
import json, os, sys
found = []
for root, dirs, files in os.walk("/", topdown=True):
    dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/sys", "/dev")]
    found += [os.path.join(root, name) for name in dirs + files]
json.dump(found, sys.stdout)
"""


@pytest.mark.parametrize("image", IMAGES)
def test_the_runtime_image_holds_no_build_tools_and_no_tests(
    podman: Podman, images: dict[str, BuiltImage], image: str
) -> None:
    scan = ["run", "--rm", "--pull", "never", "--network", "none", images[image].reference,
            "python", "-c", FILESYSTEM_SCAN]  # fmt: skip
    paths = json.loads(podman.run(*scan).stdout)
    assert len(paths) > 1000  # the scan saw the image
    programs = [p for p in paths if p.rsplit("/", 1)[0] in PROGRAM_DIRECTORIES]
    assert not [p for p in programs if p.rsplit("/", 1)[1] in BUILD_TOOLS]
    assert not [p for p in paths if p.startswith("/usr/lib/gcc/")]  # cc1 and friends
    site_packages = [p for p in paths if "/site-packages/" in p]
    assert not [p for p in site_packages if p.split("/site-packages/")[1] in TEST_PACKAGES]
    assert not [p for p in paths if p.startswith(("/src/", "/app/tests"))]
    assert not [p for p in paths if "/mosaico_" in p and p.rsplit("/", 1)[1].startswith("test_")]
    # The build saw the host's CA bundle through a bind mount: at most its empty mount
    # point is left, never the certificates.
    mounted = [p for p in paths if p.startswith("/run/build-ca/")]
    sizes = podman.run(
        "run", "--rm", "--pull", "never", "--network", "none", images[image].reference,
        "python", "-c", f"import os; print([os.path.getsize(p) for p in {mounted!r}])",
    ).stdout  # fmt: skip
    assert set(json.loads(sizes)) <= {0}, mounted
    config: dict[str, list[str]] = podman.inspect(images[image].reference)["Config"]  # type: ignore[assignment]
    assert not [e for e in config.get("Env", []) if e.startswith("SSL_CERT_FILE")]
