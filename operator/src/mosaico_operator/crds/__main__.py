"""``python -m mosaico_operator.crds [DIR]`` writes the CRDs (default ``manifests/crds``)."""

from __future__ import annotations

import sys
from pathlib import Path

from mosaico_operator.crds.definitions import all_definitions, render


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else Path("manifests/crds")
    target.mkdir(parents=True, exist_ok=True)
    for name, crd in all_definitions().items():
        (target / name).write_text(render(crd))
        print(f"wrote {target / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
