"""``imgedge``: the command line.

  imgedge serve [--port 8080] [--root DIR | --s3-endpoint URL --bucket NAME]   the local edge
  imgedge resize IN OUT --query "w=640&fmt=webp"                                one file, exact size
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="imgedge", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the local edge (CloudFront + Lambda@Edge + S3 on one machine)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--root", default=".local-edge/bucket",
                       help="directory bucket (embedded default store), seeded with sample originals")
    serve.add_argument("--s3-endpoint", help="use an S3-compatible endpoint instead of the directory bucket")
    serve.add_argument("--bucket", help="bucket name on --s3-endpoint")
    serve.add_argument("--log-file", help="also append one JSON line per generation to this file")
    serve.add_argument("--config", help="config JSON (default: the bundled one)")

    resize = sub.add_parser("resize", help="transform one file at exactly the size asked for")
    resize.add_argument("input")
    resize.add_argument("output")
    resize.add_argument("--query", default="", help='request grammar, e.g. "w=640&fmt=webp"')
    resize.add_argument("--accept", help="Accept header for fmt=auto (default: the output's extension decides)")
    resize.add_argument("--user-agent", help="User-Agent for device defaults")
    resize.add_argument("--config", help="config JSON (default: the bundled one)")

    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    return _resize(args)


def _serve(args: argparse.Namespace) -> int:
    from .config import load_config
    from .local.server import LocalEdge, make_server, seed_samples
    from .store import DirectoryStore, S3Store

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = load_config(args.config)
    if args.s3_endpoint:
        if not args.bucket:
            print("--s3-endpoint needs --bucket", file=sys.stderr)
            return 2
        import boto3

        store = S3Store(boto3.client("s3", endpoint_url=args.s3_endpoint), args.bucket)
        samples: list[str] = []
        where = f"{args.s3_endpoint} bucket {args.bucket}"
    else:
        store = DirectoryStore(args.root)
        samples = seed_samples(store)
        where = f"directory bucket {store.root}"
    edge = LocalEdge(store, config, log_path=Path(args.log_file) if args.log_file else None)
    server = make_server(edge, args.host, args.port, samples)
    host, port = server.server_address[:2]
    print(f"imgedge local edge on http://{host}:{port}/ ({where})", flush=True)
    for key in samples[:3]:
        print(f"  try http://{host}:{port}/{key}?w=320", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


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
