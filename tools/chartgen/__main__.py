"""``python -m tools.chartgen [--check]`` (``make charts``): writes what the charts ship
that is generated from one source, or with --check says what is stale.

- every module chart's values.yaml and values.schema.json, from
  charts/mosaico-lib/module-values.yaml (a module chart is a chart with
  templates/module.yaml);
- the Grafana dashboards (tools/chartgen/dashboards.py), as JSON in each chart's
  dashboards/;
- the operator chart's crds/, from mosaico_operator.crds (like manifests/crds).
"""

import sys

from tools.chartgen.generate import main

sys.exit(main(sys.argv))
