"""A local edge on a fresh directory bucket seeded with the samples, served over HTTP on a free port."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from imgedge.config import Config
from imgedge.local.edge import LocalEdge
from imgedge.local.samples import seed_samples
from imgedge.local.server import make_server
from imgedge.store import DirectoryStore


@contextmanager
def running_local_edge(root: Path, **edge_options: Any) -> Iterator[tuple[int, LocalEdge, DirectoryStore, list[str]]]:
    """(port, edge, store, sample keys); generations are logged to ``root/generations.jsonl``.
    ``edge_options`` go to ``LocalEdge`` (a ``gate``, a ``cache``...)."""
    store = DirectoryStore(root / "bucket")
    keys = seed_samples(store)
    edge = LocalEdge(store, Config(), log_path=root / "generations.jsonl", **edge_options)
    server = make_server(edge, "127.0.0.1", 0, keys)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], edge, store, keys
    finally:
        server.shutdown()
        server.server_close()
