"""The render gate: how the local edge bounds its origin side the way Lambda's concurrency and timeout do.

The origin side of a request (origin GET plus origin-response, where variants are rendered) runs through a
``RenderGate`` with a fixed number of slots; a request that waits too long for a slot, or whose generation
outlives the function timeout, raises ``Overloaded``, which the request path answers with a 503 and
``Retry-After`` that is never cached. Cache hits never pass through the gate.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Callable, TypeVar

#: How long a request waits for a render slot before it is answered 503 (``imgedge serve --queue-seconds``).
DEFAULT_QUEUE_SECONDS = 10.0
#: The origin-response function's Timeout in template.yaml: past it CloudFront answers 503, and so does
#: the local edge (``imgedge serve --generation-timeout``).
DEFAULT_GENERATION_TIMEOUT = 30.0

T = TypeVar("T")


def default_render_slots() -> int:
    """The CPUs this process may run on: more concurrent renders than that only share them."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Overloaded(Exception):
    """The origin side of a request could not run, or finish, in time: the viewer gets a 503 to retry.

    ``reason`` names which bound was hit: ``queue`` (no render slot in time), ``timeout`` (the generation
    outlived the function timeout) or ``collapsed`` (the request for the same key ahead of it did not end).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class RenderGate:
    """At most ``slots`` generations at once, each given at most ``timeout`` seconds of its viewer's wait.

    A request waits up to ``queue_seconds`` for a slot, so a flood of distinct misses queues briefly and
    then gets 503s instead of rendering all at once or piling up. With a ``timeout`` (0: none) the work
    runs in its own thread and the request stops waiting when it expires, as CloudFront stops waiting for
    a Lambda@Edge function; the overrunning work keeps its slot until it ends, so overruns never add to
    the number of renders in progress. Python cannot stop a thread: what ends the work itself is the
    generation's own ``Deadline`` (``Config.max_generation_seconds``, checked between its steps).
    """

    def __init__(self, slots: int, queue_seconds: float = DEFAULT_QUEUE_SECONDS,
                 timeout: float = DEFAULT_GENERATION_TIMEOUT) -> None:
        if slots < 1 or queue_seconds < 0 or timeout < 0:
            raise ValueError("render slots must be >= 1, queue seconds and timeout >= 0")
        self.slots = slots
        self.queue_seconds = queue_seconds
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(slots)
        self._counts_lock = threading.Lock()
        self._running = 0
        self._waiting = 0

    @property
    def running(self) -> int:
        """Generations holding a slot now (overrunning ones included)."""
        return self._running

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot now."""
        return self._waiting

    @property
    def longest_wait(self) -> float:
        """How long a request waits for the one ahead of it for the same key: that one's slot wait and
        timeout (the default timeout when there is none, so the wait stays bounded)."""
        return self.queue_seconds + (self.timeout or DEFAULT_GENERATION_TIMEOUT)

    def run(self, work: Callable[[], T]) -> T:
        """``work()`` in a slot, within the timeout; raises ``Overloaded`` when either bound is hit."""
        self._enter()
        if not self.timeout:
            try:
                return work()
            finally:
                self._leave()
        result: Future[T] = Future()
        try:
            threading.Thread(target=self._run_in_slot, args=(work, result), name="imgedge-generation",
                             daemon=True).start()
        except BaseException:
            self._leave()
            raise
        try:
            return result.result(timeout=self.timeout)
        except FutureTimeout:
            raise Overloaded("timeout", f"the generation took longer than {self.timeout:g} s") from None

    def _enter(self) -> None:
        with self._counts_lock:
            self._waiting += 1
        acquired = False
        try:
            acquired = self._slots.acquire(timeout=self.queue_seconds)
        finally:
            with self._counts_lock:
                self._waiting -= 1
                if acquired:
                    self._running += 1
        if not acquired:
            raise Overloaded("queue", f"all {self.slots} render slots stayed busy for {self.queue_seconds:g} s")

    def _leave(self) -> None:
        with self._counts_lock:
            self._running -= 1
        self._slots.release()

    def _run_in_slot(self, work: Callable[[], T], result: Future[T]) -> None:
        """The generation thread: the work's outcome goes to ``result``; the slot is freed either way."""
        try:
            result.set_result(work())
        except BaseException as exc:  # handed to the waiting request, which raises it
            result.set_exception(exc)
        finally:
            self._leave()
