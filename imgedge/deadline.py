"""One wall-clock budget per generation, from the handler's entry to its answer.

A miss fetches the original, decodes, renders, encodes (once, or several times for a byte budget or the
inline limit) and stores: all of it must finish inside the origin's 30 s, with margin. So the adapter
starts one ``Deadline`` when the event arrives and every step asks it before starting work it cannot
interrupt: the cost model's estimate before any pixel is decoded (``require``), the measured time of
the last encode before another (``allows``). What cannot finish is refused before it starts, with a 422
that names the cost (``TooCostly``), instead of running into the Lambda timeout (a 503 from CloudFront
that the next request pays for again).

``enforced`` adds a backstop for what no estimate foresees (a progressive JPEG that is slow per pixel):
``SIGALRM`` at the budget's end, which Python delivers between bytecodes, so a decode that Pillow
drives in chunks stops at the next chunk. Signals reach only the main thread, where Lambda runs
handlers; threaded servers (the local edge) rely on the checks alone. The alarm raises a
``BaseException`` so no ``except Exception`` in the core can swallow it.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from .errors import UnprocessableImage


class TooCostly(UnprocessableImage):
    """The generation would not finish inside its budget (time or memory): refused before the work.

    A 422 like any original we cannot process, and like them it depends only on the original and the
    spec, so the generator remembers it (``imgedge.refusals``)."""


class _Expired(BaseException):
    pass


class Deadline:
    """Seconds left of one generation's budget. ``seconds <= 0`` means no limit."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._start = clock()
        self._end = self._start + seconds if seconds > 0 else math.inf

    def elapsed(self) -> float:
        return self._clock() - self._start

    def remaining(self) -> float:
        return self._end - self._clock()

    def allows(self, seconds: float) -> bool:
        """Whether work expected to take ``seconds`` can still finish inside the budget."""
        return seconds <= self.remaining()

    def require(self, seconds: float, what: str) -> None:
        """``TooCostly`` unless ``seconds`` of ``what`` fit in what is left of the budget."""
        if not self.allows(seconds):
            raise TooCostly(f"{what} would take about {max(seconds, 0.1):.1f} s, over this edge's "
                            f"{self.seconds:g} s generation limit")

    @contextmanager
    def enforced(self) -> Iterator[None]:
        """The budget's end as a hard stop (main thread only): expiry inside is a 422."""
        remaining = self.remaining()
        usable = (math.isfinite(remaining) and hasattr(signal, "setitimer")
                  and threading.current_thread() is threading.main_thread())
        if not usable:
            yield
            return
        if remaining <= 0:
            raise UnprocessableImage(f"the original takes longer than {self.seconds:g} s to process")

        def expire(_signum, _frame):
            raise _Expired

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, remaining)
        try:
            yield
        except _Expired:
            raise UnprocessableImage(f"the original takes longer than {self.seconds:g} s to process") from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
