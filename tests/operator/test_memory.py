"""The operator hands memory freed between live blocks back to the kernel.

Each case runs in a fresh interpreter, so its heap holds only what the case put there.
"""

from __future__ import annotations

import subprocess
import sys

MIB = 2**20

FRAGMENTED_HEAP = """
from mosaico_operator.memory import HeapTrimmer, resident_mib

start = resident_mib()
# 2 KiB blocks come from malloc's heap (Python's own allocator takes up to 512 bytes).
blocks = [bytearray(2048) for _ in range(64_000)]
kept = blocks[::64]  # one block in 64 stays live: the heap's top is never free
del blocks
held = resident_mib() - start
returned = HeapTrimmer(interval=60).trim()
print(held, returned)
"""


def run(code: str) -> list[float]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return [float(word) for word in done.stdout.split()]


def test_freed_memory_between_live_blocks_goes_back_to_the_kernel() -> None:
    held, returned = run(FRAGMENTED_HEAP)
    freed = 64_000 * 63 / 64 * 2048 / MIB  # about 123 MiB
    # Without a trim, free() gave almost none of it back...
    assert held > 0.8 * freed
    # ...and one pass gives back nearly all of it.
    assert returned > 0.8 * freed


def test_an_interval_of_zero_turns_trimming_off() -> None:
    (available,) = run(
        "from mosaico_operator.memory import HeapTrimmer\n"
        "print(int(HeapTrimmer(interval=0).available))"
    )
    assert available == 0
