"""``imgedge resize``: one file through ``transform``, with the habits of a file tool.

``-`` reads stdin or writes stdout. The output's extension and the bytes written must agree: a query
without a format takes the extension's (``out.webp`` gets WebP), and one that names another format is a
usage error rather than PNG bytes in ``x.jpg``. Every ordinary mistake is a ``Failure`` raised before the
output is touched.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import unquote, urlencode

from ..config import Config
from ..errors import ImageEdgeError
from .exits import Exit, Failure

STDIO = "-"
#: The formats an extension may hold; the first is the one used when the query names none.
EXTENSION_FORMATS: dict[str, tuple[str, ...]] = {
    ".jpg": ("jpeg",), ".jpeg": ("jpeg",), ".png": ("png",), ".webp": ("webp",), ".avif": ("avif",),
    ".gif": ("gif",), ".json": ("json",), ".txt": ("blurhash", "lqip"),
}


def resize_file(source: str, target: str, query: str, config: Config, *, accept: str | None = None,
                user_agent: str | None = None, quiet: bool = False) -> int:
    from .. import transform

    allowed = EXTENSION_FORMATS.get(Path(target).suffix.lower()) if target != STDIO else None
    query = _with_format(query, allowed, config, negotiate=accept is not None)
    if target != STDIO:
        folder = Path(target).resolve().parent
        if not folder.is_dir():
            raise Failure(Exit.OUTPUT, f"{target}: no folder {folder}")
    data = _read(source)
    try:
        result = transform(data, query, accept=accept, user_agent=user_agent, config=config)
    except ImageEdgeError as exc:
        code = Exit.USAGE if exc.status in (400, 414) else Exit.IMAGE
        raise Failure(code, f"{source}: {exc.status}: {exc.message}") from None
    if allowed and result.format not in allowed:
        raise Failure(Exit.USAGE, f"{target}: --accept negotiated {result.format}, which a "
                                  f"{Path(target).suffix} file cannot hold")
    _write(target, result.data)
    if target != STDIO and not quiet:
        print(f"{target}: {result.width}x{result.height} {result.content_type} {len(result.data)} bytes")
    return Exit.OK


def _with_format(query: str, allowed: tuple[str, ...] | None, config: Config, *, negotiate: bool) -> str:
    """``query`` with the output extension's format when it names none (nor asks to negotiate one with
    ``--accept``); a ``Failure`` when it names a format the extension contradicts."""
    from ..request.grammar import parse_query

    try:
        asked = parse_query(query, config, trusted=True).format
    except ImageEdgeError as exc:
        raise Failure(Exit.USAGE, f"--query: {exc.message}") from None
    if not allowed:
        return query
    if asked != "auto":
        if asked not in allowed:
            raise Failure(Exit.USAGE, f"the query asks for {asked}, the output's extension for {allowed[0]}: "
                                      "change one of them")
        return query
    if negotiate:
        return query
    # fmt=auto, said or implied: the extension decides. Drop whichever alias said auto, then name it.
    kept = [part for part in query.split("&") if part and not _is_format_name(unquote(part.split("=", 1)[0]), config)]
    return "&".join(kept + [f"fmt={allowed[0]}"])


def _is_format_name(name: str, config: Config) -> bool:
    """Whether ``name`` is ``fmt`` or one of its aliases, asked of the grammar itself."""
    from ..request.grammar import parse_query

    try:
        return parse_query(urlencode([(name, "png")]), config, trusted=True).format == "png"
    except ImageEdgeError:
        return False


def _read(source: str) -> bytes:
    if source == STDIO:
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except FileNotFoundError:
        raise Failure(Exit.INPUT, f"{source}: no such file") from None
    except OSError as exc:
        raise Failure(Exit.INPUT, f"{source}: {exc.strerror or exc}") from None


def _write(target: str, data: bytes) -> None:
    if target == STDIO:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(target).write_bytes(data)
    except OSError as exc:
        raise Failure(Exit.OUTPUT, f"{target}: {exc.strerror or exc}") from None
