"""Blender and Mitsuba print progress lines straight to file descriptor 1; a CLI whose
contract is 'one JSON line' or a clean progress bar must hide them."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def silence_stdout(enabled: bool = True):
    if not enabled or os.environ.get("DGAN_VERBOSE"):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
