"""Give big freed buffers back to the operating system (glibc only; elsewhere nothing).

glibc serves an allocation of at least ``M_MMAP_THRESHOLD`` bytes with its own mmap and
unmaps it when freed, but by default it raises that threshold to the size of each such
buffer freed (up to 32 MiB): after one big document, the next document's 10 MB strings
come from the heap, and the heap keeps freed memory. A worker's resident size then
climbs well past what it holds (measured: a 10 MB Markdown file, 51 MB over the idle
worker with the default, 43 MB with a fixed threshold). Fixing the threshold keeps
every buffer of 1 MiB or more mapped on its own, so a freed one is returned at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger("jobdock.worker")
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
THRESHOLD = 1 << 20
_done = False


def return_large_frees(threshold: int = THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes (once per process); True if set."""
    global _done
    if _done or not sys.platform.startswith("linux"):
        return _done
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    _done = bool(mallopt(M_MMAP_THRESHOLD, threshold))
    if not _done:
        log.debug("mallopt(M_MMAP_THRESHOLD) refused; big buffers may be kept after use")
    return _done
