"""``imgedge warm``: generate the ladder of variants for every original under a prefix, ahead of viewers.

For each original and each (width, format) of the ladder asked for, the variant key is the one the
viewer-request would name for a viewer asking ``?w=<width>`` with that format negotiated (``avif``,
``webp``, ``legacy`` = what ``fmt=auto`` gives a client that accepts neither) or asked for explicitly
(``jpeg``, ``png``); extra ``--query`` strings (crops, say) are resolved the same way. So a warmed
variant is exactly the object a later viewer request finds in S3.

* parallel: a process pool (rendering is CPU-bound); each worker opens its own store and keeps the
  original it last read, so one original is fetched at most once per worker in a row;
* idempotent and resumable: a variant already stored is skipped (one existence check), and
  ``generate_variant`` is a conditional create, so an interrupted run leaves only complete objects and
  the next run does only what is left; two concurrent runs never overwrite each other;
* a plain-text progress bar on stderr (one line per 10% when stderr is not a terminal).
"""

from __future__ import annotations

import mimetypes
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Iterator, Literal, TextIO

from .config import Config
from .errors import ImageEdgeError
from .request.paths import validate_original_key, variant_key
from .store import DirectoryStore, Store, StoredObject, exists

DEFAULT_WIDTHS = (320, 640, 828, 1200, 1920)
NEGOTIATED = ("avif", "webp", "legacy")
EXPLICIT = ("jpeg", "png")
DEFAULT_FORMATS = NEGOTIATED


@dataclass(frozen=True)
class StoreSpec:
    """A picklable description of a store, opened again in each worker process."""

    root: str | None = None
    bucket: str | None = None
    endpoint_url: str | None = None

    def open(self) -> Store:
        if self.bucket:
            from .store import S3Store

            return S3Store.open(self.bucket, self.endpoint_url)
        return DirectoryStore(self.root or ".")


def ladder_keys(original_key: str, config: Config, widths: Iterable[int] = DEFAULT_WIDTHS,
                formats: Iterable[str] = DEFAULT_FORMATS, queries: Iterable[str] = (),
                devices: Iterable[str] = ("desktop",)) -> list[str]:
    """The variant keys viewers would be given for these widths/queries and formats (sorted, unique)."""
    from .request.canonical import resolve
    from .request.grammar import parse_query

    keys = set()
    for query in [f"w={w}" for w in widths] + list(queries):
        params = parse_query(query, config)
        for fmt in formats:
            if fmt not in NEGOTIATED + EXPLICIT:
                raise ValueError(f"unknown format {fmt!r}: use {', '.join(NEGOTIATED + EXPLICIT)}")
            for device in devices:
                if fmt in NEGOTIATED:
                    spec = resolve(params, config, device=device, negotiated_format=fmt, snap=True)
                else:
                    spec = resolve(replace(params, format=fmt), config, device=device, snap=True)
                keys.add(variant_key(original_key, spec, config.variants_prefix))
    return sorted(keys)


def list_originals(store: Store, prefix: str, config: Config, *, images_only: bool = True) -> list[str]:
    """Original keys under ``prefix`` (an S3-style prefix, not necessarily a folder), never variants; sorted."""
    variants = config.variants_prefix + "/"
    out = []
    for key in store.list(prefix):
        if key.startswith(variants) or key.endswith("/"):
            continue
        if images_only and not (mimetypes.guess_type(key)[0] or "").startswith("image/"):
            continue
        try:
            validate_original_key(key, config.variants_prefix)
        except ImageEdgeError:
            continue
        out.append(key)
    return sorted(out)


class _LastOriginal:
    """A store that remembers the last original it read (a worker renders several variants of one)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._last: tuple[str, StoredObject] | None = None

    def get(self, key: str, *, max_bytes: int | None = None) -> StoredObject:
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        obj = self.store.get(key, max_bytes=max_bytes)
        self._last = (key, obj)
        return obj

    def head(self, key: str) -> StoredObject | None:
        return self.store.head(key)

    def put_new(self, key: str, data: bytes, **kwargs: Any) -> bool:
        return self.store.put_new(key, data, **kwargs)

    def list(self, prefix: str) -> Iterator[str]:
        return self.store.list(prefix)

    def delete(self, keys: Iterable[str]) -> None:
        self.store.delete(keys)


_WORKER: dict[str, Any] = {}


def _init_worker(spec: StoreSpec, config: Config) -> None:
    _WORKER["store"] = _LastOriginal(spec.open())
    _WORKER["config"] = config


def _warm_one(variant: str) -> tuple[str, str, str, dict[str, Any]]:
    """(variant, outcome, detail, log entry). Outcome: generated, raced, skipped or failed."""
    from .generate import Variant, generate_variant
    from .observability import GenerationLog, utc_now

    store, config = _WORKER["store"], _WORKER["config"]
    try:
        if exists(store, variant):
            return variant, "skipped", "", {}
        started = time.perf_counter()
        generated = generate_variant(store, Variant.read(variant, config), config)
    except ImageEdgeError as exc:
        return variant, "failed", f"{exc.status} {exc.message}", {}
    except Exception as exc:  # one bad original must not stop the run
        return variant, "failed", type(exc).__name__, {}
    entry = GenerationLog(ts=utc_now(), event="generate", edge_cache="warm")
    entry.update(generated.log, outcome=generated.outcome, status=200,
                 total_ms=round((time.perf_counter() - started) * 1000, 2))
    return variant, generated.outcome, "", entry.fields()


@dataclass
class WarmSummary:
    originals: int = 0
    variants: int = 0
    generated: int = 0
    skipped: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)


class Progress:
    """``[#####.....] 12/40 generated 10 skipped 2 failed 0`` on one line (a tty) or every 10%."""

    def __init__(self, total: int, stream: TextIO, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.tty = getattr(stream, "isatty", lambda: False)()
        self._last_decile = -1

    def update(self, done: int, summary: WarmSummary) -> None:
        filled = int(self.width * done / self.total) if self.total else self.width
        line = (f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} "
                f"generated {summary.generated} skipped {summary.skipped} failed {summary.failed}")
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done == self.total else ""))
        else:
            decile = (10 * done // self.total) if self.total else 10
            if decile == self._last_decile and done != self.total:
                return
            self._last_decile = decile
            self.stream.write(line + "\n")
        self.stream.flush()


def warm(
    spec: StoreSpec,
    prefix: str,
    config: Config,
    *,
    widths: Iterable[int] = DEFAULT_WIDTHS,
    formats: Iterable[str] = DEFAULT_FORMATS,
    queries: Iterable[str] = (),
    devices: Iterable[str] = ("desktop",),
    jobs: int | None = None,
    progress: TextIO | Literal["stderr"] | None = "stderr",
    log: Callable[[dict[str, Any]], None] | None = None,
) -> WarmSummary:
    """Generate every missing variant of the originals under ``prefix``; returns what happened.

    ``progress``: where the progress bar goes (default: stderr as it is at call time; None: nowhere)."""
    if progress == "stderr":
        progress = sys.stderr
    store = spec.open()
    originals = list_originals(store, prefix, config)
    widths, formats, queries, devices = list(widths), list(formats), list(queries), list(devices)
    tasks = [key for original in originals
             for key in ladder_keys(original, config, widths, formats, queries, devices)]
    summary = WarmSummary(originals=len(originals), variants=len(tasks))
    bar = Progress(len(tasks), progress) if progress is not None else None
    if not tasks:
        if bar:
            bar.update(0, summary)
        return summary
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(spec, config)) as pool:
        futures = [pool.submit(_warm_one, key) for key in tasks]
        for done, future in enumerate(as_completed(futures), start=1):
            variant, outcome, detail, entry = future.result()
            if outcome == "skipped":
                summary.skipped += 1
            elif outcome == "failed":
                summary.failed += 1
                summary.failures.append(f"{variant}: {detail}")
            else:
                summary.generated += 1
                if log is not None:
                    log(entry)
            if bar:
                bar.update(done, summary)
    return summary
