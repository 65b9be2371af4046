"""malloc.py: with the arenas capped, threads that allocate at once share at most two heaps
(glibc's malloc_info lists one <heap> per arena). Each case runs in a fresh interpreter:
arenas made before the cap stay."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROGRAM = """
import ctypes, ctypes.util, os, sys, tempfile, threading
from monitor.malloc import cap_arenas
if sys.argv[1] == "capped":
    assert cap_arenas()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
barrier = threading.Barrier(8)
def work():
    barrier.wait()  # all at once: glibc gives a thread that finds its arena busy a new one
    for _ in range(200):
        blocks = [libc.malloc(4096) for _ in range(100)]
        for b in blocks:
            libc.free(b)
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc.fdopen.restype = ctypes.c_void_p
with tempfile.TemporaryFile() as out:
    stream = libc.fdopen(os.dup(out.fileno()), b"w")
    libc.malloc_info(0, ctypes.c_void_p(stream))
    libc.fclose(ctypes.c_void_p(stream))
    out.seek(0)
    print(out.read().decode().count("<heap nr="))
"""


def heaps(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_info")
def test_threads_allocating_at_once_share_two_arenas_once_capped() -> None:
    assert heaps("capped") <= 2
    assert heaps("plain") > 2  # the case the cap is for: without it, threads get arenas of their own


def test_start_up_objects_are_frozen_and_later_garbage_still_collected() -> None:
    import gc
    import weakref

    from monitor.malloc import freeze_startup

    class Node:
        pass

    kept = Node()
    kept.me = kept  # type: ignore[attr-defined]  # a cycle alive at start-up
    try:
        freeze_startup()
        assert gc.get_freeze_count() > 0 and not gc.is_finalized(kept)
        later = Node()
        later.me = later  # type: ignore[attr-defined]
        gone = weakref.ref(later)
        del later
        gc.collect()
        assert gone() is None  # made after the freeze: collected as before
    finally:
        gc.unfreeze()
