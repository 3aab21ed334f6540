"""``make bench``: run every benchmark here and record the results in RESULTS.md.

Each benchmark is a module of this folder with a ``main() -> str`` that returns its
markdown section; a benchmark that fails is recorded as failed and the others go on.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import subprocess
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
NOT_BENCHMARKS = {"harness", "baseline_app", "run"}


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))  # fmt: skip
    return f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.0f} GiB, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    names = args.names or sorted(p.stem for p in HERE.glob("*.py") if p.stem not in NOT_BENCHMARKS)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()  # fmt: skip
    sections = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — commit {commit}",
        f"Machine: {machine()}. Command: `make bench` (`uv run python bench/run.py {' '.join(args.names)}`).",
    ]
    failed = 0
    for name in names:
        print(f"bench: {name} ...", flush=True)
        try:
            section = importlib.import_module(name).main()
        except Exception:
            failed += 1
            section = f"### {name}\n\nFAILED:\n\n```\n{traceback.format_exc()[-2000:]}\n```"
        print(section, flush=True)
        sections.append(section)
    results = HERE / "RESULTS.md"
    old = results.read_text() if results.exists() else ""
    previous = old[old.find("\n## ") + 1 :] if "\n## " in old else ""
    header = "# Benchmark results\n\nNewest first. Each table compares against a baseline measured in the same run.\n"
    results.write_text(header + "\n" + "\n\n".join(sections) + "\n\n" + previous.lstrip("\n"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
