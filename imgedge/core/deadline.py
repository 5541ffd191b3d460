"""A wall-clock limit on one render, so a pathological original cannot use up the Lambda's 30 s.

Pixel and frame limits are checked from headers before decoding; this catches what they cannot predict
(a progressive JPEG that is slow per pixel, a costly AVIF encode). It uses ``SIGALRM``, which Python
delivers between bytecodes — Pillow decodes in chunks from Python, so a long decode is interrupted at the
next chunk. Signals only reach the main thread: Lambda runs handlers there; in threaded servers (the local
edge) the limit is not applied, and the pixel limits still are.

The alarm raises a ``BaseException`` so no ``except Exception`` inside the core can swallow it; the
boundary turns it into a 422 like any other original we refuse to process.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

from ..errors import UnprocessableImage


class _Expired(BaseException):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    usable = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(_signum, _frame):
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise UnprocessableImage(f"the original takes longer than {seconds:g} s to process") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
