"""The CustomResourceDefinitions, generated from Python (``python -m mosaico_operator.crds``).

The YAML under ``manifests/crds/`` is written from here; a test fails when it is stale.
"""

from mosaico_operator.crds.definitions import all_definitions, render

__all__ = ["all_definitions", "render"]
