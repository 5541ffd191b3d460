"""``imgedge``: the command line.

  imgedge serve [--port 8080] [--root DIR | --s3-endpoint URL --bucket NAME]   the local edge
  imgedge resize IN OUT --query "w=640&fmt=webp"                                one file, exact size
  imgedge purge ORIGINAL_KEY... [--distribution-id ID] [--local-edge URL]       delete an original's variants
  imgedge warm PREFIX [--widths 320,640] [--formats avif,webp,legacy]          pre-generate the ladder
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="imgedge", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the local edge (CloudFront + Lambda@Edge + S3 on one machine)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    _store_arguments(serve, seeded=True)
    serve.add_argument("--log-file", help="also append one JSON line per generation to this file")
    serve.add_argument("--max-renders", type=int, default=None, metavar="N",
                       help="generations run at once (default: one per CPU); more wait for a slot")
    serve.add_argument("--queue-seconds", type=float, default=None, metavar="S",
                       help="how long a miss waits for a render slot before a 503 with Retry-After (default 10)")
    serve.add_argument("--generation-timeout", type=float, default=None, metavar="S",
                       help="how long a viewer waits for its generation before a 503, as for the origin-response "
                            "function's Timeout (default 30; 0: no limit)")
    serve.add_argument("--config", help="config JSON (default: the bundled one)")
    serve.add_argument("--mode", choices=("edge", "regional"), default="edge",
                       help="edge: Lambda@Edge origin-response (default); regional: origin group, S3 then the "
                            "Function URL generator")
    serve.add_argument("--template", help="SAM template whose distribution to play (default: the repo's template.yaml)")
    serve.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE",
                       help="template parameter override (repeatable)")

    resize = sub.add_parser("resize", help="transform one file at exactly the size asked for")
    resize.add_argument("input")
    resize.add_argument("output")
    resize.add_argument("--query", default="", help='request grammar, e.g. "w=640&fmt=webp"')
    resize.add_argument("--accept", help="Accept header for fmt=auto (default: the output's extension decides)")
    resize.add_argument("--user-agent", help="User-Agent for device defaults")
    resize.add_argument("--config", help="config JSON (default: the bundled one)")

    purge = sub.add_parser("purge", help="delete every variant of originals; print or issue CloudFront invalidations")
    purge.add_argument("keys", nargs="+", metavar="ORIGINAL_KEY", help="S3 key of the original (no leading /)")
    _store_arguments(purge)
    purge.add_argument("--distribution-id", help="issue the invalidation on this CloudFront distribution (boto3)")
    purge.add_argument("--local-edge", metavar="URL", help="also invalidate a running `imgedge serve`, e.g. "
                       "http://127.0.0.1:8080")
    purge.add_argument("--config", help="config JSON (default: the bundled one)")

    warm = sub.add_parser("warm", help="generate the ladder of variants for every original under a prefix")
    warm.add_argument("prefix", help='key prefix of the originals, e.g. "photos/" ("" for all)')
    _store_arguments(warm)
    warm.add_argument("--widths", default=None, help="comma-separated widths (default: 320,640,828,1200,1920)")
    warm.add_argument("--formats", default=None,
                      help="comma-separated: avif, webp, legacy (what fmt=auto gives the rest), jpeg, png "
                      "(default: avif,webp,legacy)")
    warm.add_argument("--query", action="append", default=[], help='extra request, e.g. "w=480&h=480" (repeatable)')
    warm.add_argument("--jobs", type=int, default=None, help="worker processes (default: CPU count)")
    warm.add_argument("--log-file", help="append one JSON line per generated variant to this file")
    warm.add_argument("--config", help="config JSON (default: the bundled one)")

    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "purge":
        return _purge(args)
    if args.command == "warm":
        return _warm(args)
    return _resize(args)


def _store_arguments(parser: argparse.ArgumentParser, *, seeded: bool = False) -> None:
    help_root = "directory bucket (embedded default store)" + (", seeded with sample originals" if seeded else "")
    parser.add_argument("--root", default=".local-edge/bucket", help=help_root)
    parser.add_argument("--s3-endpoint", help="use an S3-compatible endpoint instead of the directory bucket")
    parser.add_argument("--bucket", help="S3 bucket (on --s3-endpoint, or AWS itself without it)")


def _store_spec(args: argparse.Namespace):
    """The store the arguments name (``warm.StoreSpec``), or None after printing why not."""
    from .warm import StoreSpec

    if args.s3_endpoint and not args.bucket:
        print("--s3-endpoint needs --bucket", file=sys.stderr)
        return None
    if args.bucket:
        return StoreSpec(bucket=args.bucket, endpoint_url=args.s3_endpoint)
    return StoreSpec(root=args.root)


def _describe(spec) -> str:
    if spec.bucket:
        return f"{spec.endpoint_url or 'S3'} bucket {spec.bucket}"
    return f"directory bucket {Path(spec.root).resolve()}"


def _serve(args: argparse.Namespace) -> int:
    from .config import load_config
    from .local.behaviour import TemplateError, load_distribution
    from .local.edge import LocalEdge
    from .local.gate import DEFAULT_GENERATION_TIMEOUT, DEFAULT_QUEUE_SECONDS, RenderGate, default_render_slots
    from .local.origins import s3_store, store_problem
    from .local.server import make_server, seed_samples
    from .store import DirectoryStore

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = dataclasses.replace(load_config(args.config), server_timing=True)  # a development tool: show stages
    spec = _store_spec(args)
    if spec is None:
        return 2
    store = s3_store(spec.bucket, spec.endpoint_url) if spec.bucket else spec.open()
    problem = store_problem(store)  # an endpoint that does not answer or a missing bucket: say so now
    if problem:
        print(f"imgedge serve: {_describe(spec)}: {problem}", file=sys.stderr)
        return 1
    samples = seed_samples(store) if isinstance(store, DirectoryStore) else []
    try:
        parameters = {"Mode": args.mode, **dict(item.split("=", 1) for item in args.parameter)}
        distribution = load_distribution(args.template, parameters)
        gate = RenderGate(default_render_slots() if args.max_renders is None else args.max_renders,
                          DEFAULT_QUEUE_SECONDS if args.queue_seconds is None else args.queue_seconds,
                          DEFAULT_GENERATION_TIMEOUT if args.generation_timeout is None else args.generation_timeout)
        edge = LocalEdge(store, config, log_path=Path(args.log_file) if args.log_file else None,
                         distribution=distribution, mode=args.mode, gate=gate)
    except (TemplateError, ValueError) as exc:
        print(f"imgedge serve: {exc}", file=sys.stderr)
        return 2
    server = make_server(edge, args.host, args.port, samples)
    host, port = server.server_address[:2]
    print(f"imgedge local edge ({args.mode} mode) on http://{host}:{port}/ ({_describe(spec)})", flush=True)
    print(f"  behaviours from {distribution.source}", flush=True)
    for key in samples[:3]:
        print(f"  try http://{host}:{port}/{key}?w=320", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _purge(args: argparse.Namespace) -> int:
    from .config import load_config
    from .errors import ImageEdgeError
    from .purge import create_invalidation, purge

    config = load_config(args.config)
    spec = _store_spec(args)
    if spec is None:
        return 2
    store = spec.open()
    paths: list[str] = []
    try:
        for key in args.keys:
            result = purge(key.lstrip("/"), store, config)
            print(f"{result.original}: deleted {len(result.deleted)} variants from {_describe(spec)}")
            paths.extend(p for p in result.paths if p not in paths)
    except ImageEdgeError as exc:
        print(f"imgedge purge: {exc.status}: {exc.message}", file=sys.stderr)
        return 1
    if args.local_edge:
        try:
            removed = _invalidate_local_edge(args.local_edge, paths)
        except OSError as exc:
            print(f"imgedge purge: local edge {args.local_edge}: {exc}", file=sys.stderr)
            return 1
        print(f"local edge {args.local_edge}: {removed} cached responses invalidated")
    if args.distribution_id:
        import boto3

        invalidation = create_invalidation(boto3.client("cloudfront"), args.distribution_id, paths)
        print(f"CloudFront invalidation {invalidation} on {args.distribution_id}: {' '.join(paths)}")
    else:
        print("CloudFront invalidation paths (issue them with --distribution-id ID):")
        for path in paths:
            print(f"  {path}")
    return 0


def _invalidate_local_edge(base_url: str, paths: list[str]) -> int:
    from urllib.request import Request, urlopen

    request = Request(base_url.rstrip("/") + "/_imgedge/invalidations", method="POST",
                      data=json.dumps({"paths": paths}).encode(), headers={"Content-Type": "application/json"})
    with urlopen(request, timeout=10) as response:  # noqa: S310 (a URL the user gave)
        return int(json.load(response)["removed"])


def _warm(args: argparse.Namespace) -> int:
    from .config import load_config
    from .errors import ImageEdgeError
    from .observability import log_line
    from .warm import DEFAULT_FORMATS, DEFAULT_WIDTHS, warm

    config = load_config(args.config)
    spec = _store_spec(args)
    if spec is None:
        return 2
    try:
        widths = [int(w) for w in args.widths.split(",")] if args.widths else list(DEFAULT_WIDTHS)
    except ValueError:
        print("imgedge warm: --widths takes comma-separated integers", file=sys.stderr)
        return 2
    formats = [f.strip() for f in args.formats.split(",")] if args.formats else list(DEFAULT_FORMATS)
    log_file = open(args.log_file, "a", encoding="utf-8") if args.log_file else None  # noqa: SIM115

    def log(entry: dict[str, Any]) -> None:
        if log_file is not None:
            log_file.write(log_line(entry) + "\n")

    try:
        summary = warm(spec, args.prefix, config, widths=widths, formats=formats, queries=args.query,
                       jobs=args.jobs, log=log)
    except (ImageEdgeError, ValueError) as exc:
        message = f"{exc.status}: {exc.message}" if isinstance(exc, ImageEdgeError) else str(exc)
        print(f"imgedge warm: {message}", file=sys.stderr)
        return 2
    finally:
        if log_file is not None:
            log_file.close()
    print(f"{summary.originals} originals under {args.prefix!r} in {_describe(spec)}: {summary.variants} variants, "
          f"{summary.generated} generated, {summary.skipped} already there, {summary.failed} failed")
    for failure in summary.failures[:20]:
        print(f"  failed: {failure}", file=sys.stderr)
    return 1 if summary.failed else 0


def _resize(args: argparse.Namespace) -> int:
    from . import transform
    from .config import load_config
    from .errors import ImageEdgeError

    query = args.query
    if "fmt=" not in query and "format=" not in query:
        by_ext = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp", ".avif": "avif"}
        fmt = by_ext.get(Path(args.output).suffix.lower())
        if fmt:
            query = f"{query}&fmt={fmt}" if query else f"fmt={fmt}"
    try:
        data = Path(args.input).read_bytes()
        result = transform(data, query, accept=args.accept, user_agent=args.user_agent,
                           config=load_config(args.config))
    except ImageEdgeError as exc:
        print(f"imgedge: {exc.status}: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"imgedge: {exc}", file=sys.stderr)
        return 1
    Path(args.output).write_bytes(result.data)
    print(f"{args.output}: {result.width}x{result.height} {result.content_type} {len(result.data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
