"""``python -m tools.chartgen [--check]`` (``make charts``): writes what the charts ship
that is generated from one source, or with --check says what is stale.

- every module chart's values.yaml and values.schema.json, from
  charts/mosaico-lib/module-values.yaml (a module chart is a chart with
  templates/module.yaml);
- the Grafana dashboards (tools/chartgen/dashboards.py), as JSON in each chart's
  dashboards/;
- the operator chart's crds/, from mosaico_operator.crds (like manifests/crds).
"""

from __future__ import annotations

import sys
from pathlib import Path

from mosaico_operator.crds import all_definitions, render

from tools.chartgen import dashboards, values

REPO_ROOT = Path(__file__).resolve().parents[2]
CHARTS = REPO_ROOT / "charts"
SOURCE = CHARTS / "mosaico-lib" / "module-values.yaml"
CRD_DIRECTORIES = (REPO_ROOT / "manifests" / "crds", CHARTS / "mosaico-operator" / "crds")


def module_charts() -> list[Path]:
    """The module charts, in a stable order (identity first: the others depend on it)."""
    charts = [p.parent.parent for p in CHARTS.glob("*/templates/module.yaml")]
    return sorted(charts, key=lambda chart: (chart.name != "identity", chart.name))


def module_chart_files(chart: Path) -> dict[Path, str]:
    """What `make charts` writes into one module chart (a directory with Chart.yaml and
    templates/module.yaml): values.yaml, values.schema.json and its dashboard."""
    source = SOURCE.read_text()
    text = values.module_values(source, chart)
    module = values.yaml.safe_load(text)["module"]
    title = "Values of a Mosaico module chart"
    return {
        chart / "values.yaml": text,
        chart / "values.schema.json": values.schema_text(
            values.schema(source, str(SOURCE.relative_to(REPO_ROOT)), title)
        ),
        chart / "dashboards" / f"mosaico-{module}.json": dashboards.dashboard_text(
            dashboards.module_dashboard(module)
        ),
    }


def generated() -> dict[Path, str]:
    """Every generated file with the text it should have."""
    files: dict[Path, str] = {}
    modules = []
    for chart in module_charts():
        chart_files = module_chart_files(chart)
        modules.append(values.yaml.safe_load(chart_files[chart / "values.yaml"])["module"])
        files.update(chart_files)
    files[CHARTS / "mosaico-operator" / "dashboards" / "mosaico-operator.json"] = (
        dashboards.dashboard_text(dashboards.operator_dashboard())
    )
    files[CHARTS / "mosaico" / "dashboards" / "mosaico-overview.json"] = dashboards.dashboard_text(
        dashboards.overview_dashboard(modules)
    )
    for directory in CRD_DIRECTORIES:
        for name, crd in all_definitions().items():
            files[directory / name] = render(crd)
    return files


def stale_files(files: dict[Path, str]) -> list[Path]:
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    for directory in CRD_DIRECTORIES:
        stale += [p for p in directory.glob("*.yaml") if p not in files]
    return stale


def write(files: dict[Path, str]) -> None:
    for path, text in files.items():
        if path.exists() and path.read_text() == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")


def main(argv: list[str]) -> int:
    files = generated()
    if "--check" in argv:
        stale = stale_files(files)
        for path in stale:
            print(f"stale: {path.relative_to(REPO_ROOT)}", file=sys.stderr)
        if stale:
            print("run `make charts` and commit what it writes", file=sys.stderr)
        return 1 if stale else 0
    write(files)
    for path in stale_files(files):  # CRDs no longer defined
        path.unlink()
        print(f"removed {path.relative_to(REPO_ROOT)}")
    return 0
