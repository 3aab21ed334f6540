"""What the real node (tests/fixtures/kube_node.py) says when it cannot start: the test
that asked for it fails naming what is missing, and never skips."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.kube_node import (
    NODE_BINARIES,
    NodeUnavailable,
    _require,
    missing_binaries,
)


def test_every_missing_binary_is_named_with_what_builds_it(tmp_path: Path) -> None:
    missing = missing_binaries(tmp_path)
    assert len(missing) == len(NODE_BINARIES)
    for binary, line in zip(NODE_BINARIES, missing, strict=True):
        assert line.startswith(f"{binary} ")
        assert "tools/k8s-test-bins" in line


def test_a_node_that_cannot_start_fails_with_the_list() -> None:
    with pytest.raises(NodeUnavailable, match=r"cannot start here; missing:\n- root: .*\n- ctr"):
        _require(["root: the kubelet needs it", "ctr (Debian's containerd)"])
    _require([])  # nothing missing: no error
