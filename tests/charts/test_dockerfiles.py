"""Every image is built the same careful way, and agrees with its chart.

No container engine is needed: the Dockerfiles are parsed, and the build's `uv sync`
commands are replayed into a temporary environment to prove the image's CMD imports.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.charts.helm import Helm, named
from tests.fixtures.kube import REPO_ROOT
from tests.fixtures.uv import uv_executable

IMAGES = {
    "identity": REPO_ROOT / "services" / "identity" / "Dockerfile",
    "crm": REPO_ROOT / "services" / "crm" / "Dockerfile",
    "finance": REPO_ROOT / "services" / "finance" / "Dockerfile",
    "notifications": REPO_ROOT / "services" / "notifications" / "Dockerfile",
    "operator": REPO_ROOT / "operator" / "Dockerfile",
}
COMPILERS = re.compile(
    r"\b(build-essential|gcc|g\+\+|clang|make|cargo|rustc|python3-dev|libpq-dev)\b"
)


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [argument for k, argument in self.instructions if k == keyword]


@dataclass
class Dockerfile:
    args: dict[str, str]
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    @classmethod
    def parse(cls, path: Path) -> Dockerfile:
        lines: list[str] = []
        pending = ""
        for raw in path.read_text().splitlines():
            stripped = raw.strip()
            if stripped.startswith("#") or not stripped:
                continue
            if stripped.endswith("\\"):
                pending += stripped[:-1] + " "
                continue
            lines.append(pending + stripped)
            pending = ""
        args: dict[str, str] = {}
        stages: list[Stage] = []
        for line in lines:
            keyword, _, argument = line.partition(" ")
            keyword = keyword.upper()
            if keyword == "FROM":
                words = argument.split()
                name = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
                stages.append(Stage(base=words[0], name=name))
            elif keyword == "ARG" and not stages:
                key, _, default = argument.partition("=")
                args[key] = default
            else:
                stages[-1].instructions.append((keyword, argument))
        return cls(args=args, stages=stages)

    def stage(self, name: str) -> Stage:
        [stage] = [s for s in self.stages if s.name == name]
        return stage

    @property
    def environment_stage(self) -> Stage:
        """The stage whose /app/.venv the final stage copies: what ships."""
        [copy] = [c for c in self.final.all("COPY") if "/app/.venv" in c]
        return self.stage(copy.split()[0].removeprefix("--from="))

    def base_of(self, stage: Stage) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda m: self.args.get(m.group(1), m.group(0)), stage.base)


@pytest.fixture(scope="module")
def container_ports(helm: Helm) -> dict[str, set[int]]:
    """Each image's ports as the charts declare them."""
    objects = helm.template()
    ports: dict[str, set[int]] = {}
    for image, deployment in (
        *((m, m) for m in ("identity", "crm", "finance", "notifications")),
        ("operator", "mosaico-operator"),
    ):
        spec = named(objects, "Deployment", deployment)["spec"]["template"]["spec"]
        ports[image] = {p["containerPort"] for c in spec["containers"] for p in c["ports"]}
    return ports


@pytest.mark.parametrize("image", IMAGES)
def test_the_image_runs_as_a_non_root_user(image: str) -> None:
    dockerfile = Dockerfile.parse(IMAGES[image])
    users = dockerfile.final.all("USER")
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), user
    assert not user.isdigit() or int(user) >= 1000, user


@pytest.mark.parametrize("image", IMAGES)
def test_the_image_installs_exactly_the_locked_dependencies(image: str) -> None:
    dockerfile = Dockerfile.parse(IMAGES[image])
    package = f"mosaico-{image}"
    syncs = [run for stage in dockerfile.stages for run in stage.all("RUN") if "uv sync" in run]
    assert syncs
    for run in syncs:
        command = shlex.split(run[run.index("uv sync") :])
        assert "--frozen" in command, run
        assert "--no-dev" in command, run
        assert command[command.index("--package") + 1] == package, run
    shipped = [run for run in dockerfile.environment_stage.all("RUN") if "uv sync" in run]
    assert "--no-editable" in shipped[-1], "the shipped environment must not point at source"


@pytest.mark.parametrize("image", IMAGES)
def test_the_final_stage_is_slim_python_without_build_tools(image: str) -> None:
    dockerfile = Dockerfile.parse(IMAGES[image])
    final = dockerfile.final
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", dockerfile.base_of(final)), dockerfile.base_of(
        final
    )
    assert len(dockerfile.stages) >= 2, "multi-stage: build, then runtime"
    for keyword, argument in final.instructions:
        assert not COMPILERS.search(argument), argument
        assert "uv sync" not in argument, argument
        assert "type=cache" not in argument, argument
        if keyword == "COPY":
            assert "--from=uv" not in argument, "no uv in the final image"
    copies = final.all("COPY")
    assert any(c.startswith("--from=build") and "/app/.venv" in c for c in copies), copies


@pytest.mark.parametrize("image", IMAGES)
def test_the_exposed_ports_are_the_charts_container_ports(
    image: str, container_ports: dict[str, set[int]]
) -> None:
    exposed = {
        int(p.split("/")[0])
        for e in Dockerfile.parse(IMAGES[image]).final.all("EXPOSE")
        for p in e.split()
    }
    assert exposed == container_ports[image]


@pytest.mark.parametrize("image", IMAGES)
def test_the_command_starts_the_right_program(
    image: str, container_ports: dict[str, set[int]]
) -> None:
    [cmd] = Dockerfile.parse(IMAGES[image]).final.all("CMD")
    argv = json.loads(cmd)  # exec form: the process is PID 1 and gets SIGTERM
    if image == "operator":
        assert argv == ["python", "-m", "mosaico_operator"]
    else:
        assert argv[:2] == ["uvicorn", f"mosaico_{image}.main:app"]
        assert argv[argv.index("--host") + 1] == "0.0.0.0"
        assert {int(argv[argv.index("--port") + 1])} == container_ports[image]


@pytest.mark.parametrize("image", IMAGES)
def test_no_image_believes_forwarded_headers_from_everyone(image: str) -> None:
    """uvicorn then takes FORWARDED_ALLOW_IPS (the chart's forwardedAllowIps), else only
    127.0.0.1: an image run outside the chart trusts no proxy."""
    dockerfile = Dockerfile.parse(IMAGES[image])
    for stage in dockerfile.stages:
        for keyword, argument in stage.instructions:
            assert "forwarded-allow-ips" not in argument, (stage.name, keyword)
            assert "FORWARDED_ALLOW_IPS" not in argument, (stage.name, keyword)


def test_the_build_context_holds_only_the_workspace() -> None:
    rules = [
        r
        for r in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if r and not r.startswith("#")
    ]
    assert rules[0] == "*"
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    assert allowed == {"pyproject.toml", "uv.lock", "libs", "services", "operator"}


def entrypoint_module(image: str) -> str:
    return "mosaico_operator.__main__" if image == "operator" else f"mosaico_{image}.main"


@pytest.mark.slow
@pytest.mark.parametrize("image", IMAGES)
def test_the_image_environment_imports_its_program(image: str, tmp_path: Path) -> None:
    """The Dockerfile's own `uv sync` commands, replayed into an empty environment."""
    source = REPO_ROOT / ("operator" if image == "operator" else f"services/{image}") / "src"
    module = entrypoint_module(image)
    assert (source / (module.replace(".", "/") + ".py")).exists(), f"{module} is missing"
    environment = tmp_path / "venv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(environment), "UV_PYTHON_DOWNLOADS": "never",
           "UV_LINK_MODE": "copy", "VIRTUAL_ENV": ""}  # fmt: skip
    shipped = Dockerfile.parse(IMAGES[image]).environment_stage
    for run in (r for r in shipped.all("RUN") if "uv sync" in r):
        command = [uv_executable(), *shlex.split(run[run.index("uv sync") :])[1:]]
        subprocess.run(
            command, cwd=REPO_ROOT, env=env, check=True, capture_output=True, timeout=600
        )
    python = environment / "bin" / "python"
    # Only the package's own dependencies: no test tools, no other module.
    probe = (
        "import importlib.util as u, sys; "
        f"import {module.rsplit('.', 1)[0]}; "
        f"assert u.find_spec('{module}'); "
        "assert not u.find_spec('pytest'); "
        f"others = [m for m in ('mosaico_identity', 'mosaico_crm', 'mosaico_finance', 'mosaico_notifications', 'mosaico_operator') "
        f"if m != 'mosaico_{image}' and u.find_spec(m)]; assert not others, others"
    )
    subprocess.run([str(python), "-c", probe], check=True, capture_output=True, timeout=120)
    if image != "operator":
        assert (environment / "bin" / "uvicorn").exists()
