"""tests/shared mirrors mosaico_shared: a test file is named after the module it tests
(``test_<module>.py``, or ``test_<module>_<aspect>.py``), in the same folder, so the
tests of any module are found in one hop."""

from __future__ import annotations

from pathlib import Path

import mosaico_shared

SOURCE = Path(mosaico_shared.__file__).parent
TESTS = Path(__file__).parent


def test_every_test_file_sits_where_its_module_does():
    astray = []
    for test in TESTS.rglob("test_*.py"):
        if test == Path(__file__):
            continue
        folder = SOURCE / test.parent.relative_to(TESTS)
        words = test.stem.removeprefix("test_").split("_")
        names = ["_".join(words[:n]) for n in range(len(words), 0, -1)]
        if not any((folder / f"{n}.py").exists() or (folder / n).is_dir() for n in names):
            astray.append(str(test.relative_to(TESTS)))
    assert not astray, f"no mosaico_shared module matches: {astray}"
