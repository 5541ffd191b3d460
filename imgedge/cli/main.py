"""``imgedge``: the command line.

  imgedge serve [--port 8080] [--root DIR | --s3-endpoint URL --bucket NAME]   the local edge
  imgedge resize IN OUT --query "w=640&fmt=webp"                                one file, exact size ("-": stdin/stdout)
  imgedge sign URL... [--key KEY]                                               add the ?sig= signed URLs need
  imgedge purge ORIGINAL_KEY... [--distribution-id ID] [--local-edge URL]       delete an original's variants
  imgedge warm PREFIX [--widths 320,640] [--formats avif,webp,legacy]          pre-generate the ladder

Ordinary mistakes end with one line on stderr and an exit code of their own (``imgedge.cli.exits``).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .exits import EXIT_CODES, Exit, Failure, read_config

#: Where ``imgedge sign`` looks for a key when given no ``--key``.
SIGNING_KEY_ENV = "IMGEDGE_SIGNING_KEY"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except Failure as failure:
        print(f"imgedge {args.command}: {failure.message}", file=sys.stderr)
        return failure.code
    except KeyboardInterrupt:
        return Exit.INTERRUPTED
    except BrokenPipeError:  # whatever read stdout went away (`| head`): nothing left to say to it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return Exit.FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imgedge", description=__doc__.split("\n\n")[0].replace("``", ""),
        epilog="exit codes: " + "; ".join(f"{int(code)} {text}" for code, text in EXIT_CODES.items()).replace("`", ""))
    parser.add_argument("--version", action="version", version=f"imgedge {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the local edge (CloudFront + Lambda@Edge + S3 on one machine)")
    serve.set_defaults(run=_serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080, help="0: any free port (printed at start)")
    _store_arguments(serve, seeded=True)
    serve.add_argument("--log-file", help="also append one JSON line per generation to this file")
    serve.add_argument("--max-renders", type=int, default=None, metavar="N",
                       help="generations run at once (default: one per CPU); more wait for a slot")
    serve.add_argument("--queue-seconds", type=float, default=None, metavar="S",
                       help="how long a miss waits for a render slot before a 503 with Retry-After (default 10)")
    serve.add_argument("--generation-timeout", type=float, default=None, metavar="S",
                       help="how long a viewer waits for its generation before a 503, as for the origin-response "
                            "function's Timeout (default 30; 0: no limit)")
    serve.add_argument("--config", help="config JSON (default: $IMGEDGE_CONFIG, else the demo config "
                                        "imgedge/local/demo-config.json the README's examples assume)")
    serve.add_argument("--mode", choices=("edge", "regional"), default="edge",
                       help="edge: Lambda@Edge origin-response (default); regional: origin group, S3 then the "
                            "Function URL generator")
    serve.add_argument("--template", help="SAM template whose distribution to play (default: the repo's template.yaml)")
    serve.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE",
                       help="template parameter override (repeatable)")

    resize = sub.add_parser("resize", help="transform one file at exactly the size asked for")
    resize.set_defaults(run=_resize)
    resize.add_argument("input", help='the original ("-": stdin)')
    resize.add_argument("output", help='where to write ("-": stdout); its extension is the format unless the '
                                       "query names one, and must agree with it")
    resize.add_argument("--query", default="", help='request grammar, e.g. "w=640&fmt=webp"')
    resize.add_argument("--accept", help="Accept header for fmt=auto (default: the output's extension decides)")
    resize.add_argument("--user-agent", help="User-Agent for device defaults")
    _common_arguments(resize)

    sign = sub.add_parser("sign", help="print URLs with the ?sig= the edge checks when signing_keys are set")
    sign.set_defaults(run=_sign)
    sign.add_argument("urls", nargs="+", metavar="URL", help='a path with its query ("/photos/lake.jpg?w=640") or '
                                                             "a full URL")
    sign.add_argument("--key", help=f"signing key (default: ${SIGNING_KEY_ENV}, else the first of the config's "
                                    "signing_keys)")
    sign.add_argument("--config", help="config JSON whose signing_keys to use (default: $IMGEDGE_CONFIG, else "
                                       "the demo config `imgedge serve` starts with)")

    purge = sub.add_parser("purge", help="delete every variant of originals; print or issue CloudFront invalidations")
    purge.set_defaults(run=_purge)
    purge.add_argument("keys", nargs="+", metavar="ORIGINAL_KEY", help="S3 key of the original (no leading /)")
    _store_arguments(purge)
    purge.add_argument("--distribution-id", help="issue the invalidation on this CloudFront distribution (boto3)")
    purge.add_argument("--local-edge", metavar="URL", help="also invalidate a running `imgedge serve`, e.g. "
                       "http://127.0.0.1:8080")
    _common_arguments(purge)

    warm = sub.add_parser("warm", help="generate the ladder of variants for every original under a prefix")
    warm.set_defaults(run=_warm)
    warm.add_argument("prefix", help='key prefix of the originals, e.g. "photos/" ("" for all)')
    _store_arguments(warm)
    warm.add_argument("--widths", default=None, help="comma-separated widths (default: 320,640,828,1200,1920)")
    warm.add_argument("--formats", default=None,
                      help="comma-separated: avif, webp, legacy (what fmt=auto gives the rest), jpeg, png "
                      "(default: avif,webp,legacy)")
    warm.add_argument("--query", action="append", default=[], help='extra request, e.g. "w=480&h=480" (repeatable)')
    warm.add_argument("--jobs", type=int, default=None, help="worker processes (default: CPU count)")
    warm.add_argument("--log-file", help="append one JSON line per generated variant to this file")
    _common_arguments(warm)
    return parser


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="config JSON (default: $IMGEDGE_CONFIG, else the bundled one)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors and results "
                        "(progress is shown only on a terminal anyway)")


def _store_arguments(parser: argparse.ArgumentParser, *, seeded: bool = False) -> None:
    help_root = "directory bucket (embedded default store)" + (", seeded with sample originals" if seeded else "")
    parser.add_argument("--root", default=".local-edge/bucket", help=help_root)
    parser.add_argument("--s3-endpoint", help="use an S3-compatible endpoint instead of the directory bucket")
    parser.add_argument("--bucket", help="S3 bucket (on --s3-endpoint, or AWS itself without it)")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("imgedge")
    except PackageNotFoundError:
        return "(not installed: run from a source tree)"


# -- shared steps -------------------------------------------------------------------------------------------


def _config(args: argparse.Namespace, default: Path | None = None):
    """The config ``--config`` names, else ``$IMGEDGE_CONFIG``, else ``default`` (or the bundled file), else
    the built-in defaults."""
    from ..config import BUNDLED_CONFIG, Config

    fallback = default or (BUNDLED_CONFIG if BUNDLED_CONFIG.exists() else None)
    path = args.config or os.environ.get("IMGEDGE_CONFIG") or (str(fallback) if fallback else None)
    return (read_config(path) if path else Config()), path


def _store_spec(args: argparse.Namespace, *, create: bool = False):
    """The store the arguments name (``warm.StoreSpec``), checked to exist and answer (a directory bucket
    is created instead when ``create``)."""
    from ..warm import StoreSpec
    from .preflight import check_directory_bucket, check_s3_bucket

    if args.s3_endpoint and not args.bucket:
        raise Failure(Exit.USAGE, "--s3-endpoint needs --bucket")
    if args.bucket:
        check_s3_bucket(args.bucket, args.s3_endpoint)
        return StoreSpec(bucket=args.bucket, endpoint_url=args.s3_endpoint)
    if not create:
        check_directory_bucket(args.root)
    return StoreSpec(root=args.root)


def _describe(spec) -> str:
    if spec.bucket:
        return f"{spec.endpoint_url or 'S3'} bucket {spec.bucket}"
    return f"directory bucket {Path(spec.root).resolve()}"


def _store_failure(exc: Exception, spec) -> Failure:
    """A store call that failed after the checks passed (the bucket went away, a permission is missing)."""
    from .preflight import aws_failure

    if spec.bucket:
        return aws_failure(exc, _describe(spec))
    return Failure(Exit.FAILED, f"{_describe(spec)}: {getattr(exc, 'message', exc)}")


def _writable_folder(path: str, what: str) -> None:
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise Failure(Exit.OUTPUT, f"{what} {path}: no folder {folder}")
    if not os.access(folder, os.W_OK):
        raise Failure(Exit.OUTPUT, f"{what} {path}: folder {folder} is not writable")


# -- commands -----------------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from ..local.behaviour import TemplateError, load_distribution
    from ..local.edge import LocalEdge
    from ..local.examples import DEMO_CONFIG, seed_examples
    from ..local.gate import DEFAULT_GENERATION_TIMEOUT, DEFAULT_QUEUE_SECONDS, RenderGate, default_render_slots
    from ..local.origins import s3_store
    from ..local.server import make_server, seed_samples
    from ..store import DirectoryStore

    config, config_path = _config(args, DEMO_CONFIG)
    config = dataclasses.replace(config, server_timing=True)  # a development tool: show stages
    spec = _store_spec(args, create=True)
    parameters = {"Mode": args.mode}
    for item in args.parameter:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise Failure(Exit.USAGE, f"--parameter {item!r}: KEY=VALUE expected")
        parameters[name] = value
    if args.template and not Path(args.template).is_file():
        raise Failure(Exit.TEMPLATE, f"no template at {args.template}")
    if args.log_file:
        _writable_folder(args.log_file, "--log-file")
    try:
        gate = RenderGate(default_render_slots() if args.max_renders is None else args.max_renders,
                          DEFAULT_QUEUE_SECONDS if args.queue_seconds is None else args.queue_seconds,
                          DEFAULT_GENERATION_TIMEOUT if args.generation_timeout is None else args.generation_timeout)
    except ValueError as exc:
        raise Failure(Exit.USAGE, str(exc)) from None
    # S3 with the Lambda handlers' short timeouts: a dead endpoint must not hold every request for minutes
    store = s3_store(spec.bucket, spec.endpoint_url) if spec.bucket else spec.open()
    samples: list[str] = []
    if isinstance(store, DirectoryStore):
        try:
            samples = seed_samples(store)
            seed_examples(store)
        except OSError as exc:
            raise Failure(Exit.OUTPUT, f"cannot seed the directory bucket {Path(args.root).resolve()}: "
                                       f"{exc.strerror or exc}") from None
    try:
        distribution = load_distribution(args.template, parameters)
        edge = LocalEdge(store, config, log_path=Path(args.log_file) if args.log_file else None,
                         distribution=distribution, mode=args.mode, gate=gate)
    except (TemplateError, ValueError) as exc:
        raise Failure(Exit.TEMPLATE, str(exc)) from None
    try:
        server = make_server(edge, args.host, args.port, samples)
    except OSError as exc:
        raise Failure(Exit.PORT, f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    host, port = server.server_address[:2]
    if isinstance(host, (bytes, bytearray)):  # str for an IP socket; the stubs allow bytes too
        host = host.decode()
    print(f"imgedge local edge ({args.mode} mode) on http://{host}:{port}/ ({_describe(spec)})", flush=True)
    print(f"  behaviours from {distribution.source}", flush=True)
    print(f"  config from {config_path or 'the built-in defaults'}", flush=True)
    for key in samples[:3]:
        print(f"  try http://{host}:{port}/{key}?w=320", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return Exit.OK


def _sign(args: argparse.Namespace) -> int:
    from ..local.examples import DEMO_CONFIG

    key = args.key or os.environ.get(SIGNING_KEY_ENV)
    if not key:
        config, path = _config(args, DEMO_CONFIG)
        if not config.signing_keys:
            raise Failure(Exit.NO_KEY, f"no signing key: pass --key, set {SIGNING_KEY_ENV}, or name a config "
                                       f"with signing_keys (--config; {path or 'no config'} has none)")
        key = config.signing_keys[0]
    if len(key) < 16:
        raise Failure(Exit.USAGE, "signing keys are at least 16 characters (the edge refuses shorter ones)")
    for url in args.urls:
        print(signed_url(url, key))
    return Exit.OK


def signed_url(url: str, key: str) -> str:
    """``url`` (a path with its query, or a full URL) with the ``sig`` parameter the edge verifies; a ``sig``
    already there is replaced. The path is percent-encoded as a browser sends it, since that is what is
    signed."""
    from urllib.parse import quote, urlsplit

    from ..request.signing import SIGNATURE_PARAM, sign_url

    parts = urlsplit(url)
    if not parts.path.startswith("/"):
        raise Failure(Exit.USAGE, f"{url}: a path starting with / (or a full URL) expected")
    path = quote(parts.path, safe="/%!$&'()*+,;=:@-._~")
    query = "&".join(p for p in parts.query.split("&") if p and p.split("=", 1)[0] != SIGNATURE_PARAM)
    signed = sign_url(path, query, key)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return origin + signed + (f"#{parts.fragment}" if parts.fragment else "")


def _purge(args: argparse.Namespace) -> int:
    from ..errors import ImageEdgeError
    from ..purge import create_invalidation, purge, variants_prefix
    from .preflight import (
        aws_failure,
        check_cloudfront,
        check_local_edge,
        invalidate_local_edge,
    )

    config, _ = _config(args)
    keys = [key.lstrip("/") for key in args.keys]
    for key in keys:
        try:
            variants_prefix(key, config)
        except ImageEdgeError as exc:
            raise Failure(Exit.USAGE, f"{key}: {exc.message}") from None
    # Everything that can fail is asked first: nothing is deleted unless the invalidations can follow.
    spec = _store_spec(args)
    if args.local_edge:
        check_local_edge(args.local_edge)
    cloudfront = check_cloudfront(args.distribution_id) if args.distribution_id else None
    store = spec.open()
    paths: list[str] = []
    for key in keys:
        try:
            result = purge(key, store, config)
        except (ImageEdgeError, OSError) as exc:
            raise _store_failure(exc, spec) from None
        if not args.quiet:
            print(f"{result.original}: deleted {len(result.deleted)} variants from {_describe(spec)}")
        paths.extend(p for p in result.paths if p not in paths)
    if args.local_edge:
        removed = invalidate_local_edge(args.local_edge, paths)
        if not args.quiet:
            print(f"local edge {args.local_edge}: {removed} cached responses invalidated")
    if cloudfront is None:
        print("CloudFront invalidation paths (issue them with --distribution-id ID):")
        for path in paths:
            print(f"  {path}")
        return Exit.OK
    try:
        invalidation = create_invalidation(cloudfront, args.distribution_id, paths)
    except Exception as exc:  # noqa: BLE001 (botocore's errors, classified)
        failure = aws_failure(exc, f"distribution {args.distribution_id}")
        raise Failure(failure.code, f"variants deleted, but the invalidation failed: {failure.message}; "
                                    f"invalidate {' '.join(paths)}") from None
    print(f"CloudFront invalidation {invalidation} on {args.distribution_id}: {' '.join(paths)}")
    return Exit.OK


def _warm(args: argparse.Namespace) -> int:
    from ..errors import ImageEdgeError
    from ..observability import log_line
    from ..warm import DEFAULT_FORMATS, DEFAULT_WIDTHS, EXPLICIT, NEGOTIATED, warm

    config, _ = _config(args)
    try:
        widths = [int(w) for w in args.widths.split(",")] if args.widths else list(DEFAULT_WIDTHS)
    except ValueError:
        raise Failure(Exit.USAGE, "--widths takes comma-separated integers") from None
    formats = [f.strip() for f in args.formats.split(",")] if args.formats else list(DEFAULT_FORMATS)
    unknown = [f for f in formats if f not in NEGOTIATED + EXPLICIT]
    if unknown:
        raise Failure(Exit.USAGE, f"--formats: unknown format {unknown[0]!r}; use {', '.join(NEGOTIATED + EXPLICIT)}")
    spec = _store_spec(args)
    if args.log_file:
        _writable_folder(args.log_file, "--log-file")
    log_file = open(args.log_file, "a", encoding="utf-8") if args.log_file else None  # noqa: SIM115

    def log(entry: dict[str, Any]) -> None:
        if log_file is not None:
            log_file.write(log_line(entry) + "\n")

    progress = sys.stderr if sys.stderr.isatty() and not args.quiet else None
    try:
        summary = warm(spec, args.prefix, config, widths=widths, formats=formats, queries=args.query,
                       jobs=args.jobs, log=log, progress=progress)
    except ImageEdgeError as exc:
        if exc.status in (400, 414):  # a --query the grammar refuses
            raise Failure(Exit.USAGE, f"--query: {exc.message}") from None
        raise _store_failure(exc, spec) from None
    except ValueError as exc:
        raise Failure(Exit.USAGE, str(exc)) from None
    finally:
        if log_file is not None:
            log_file.close()
    if not args.quiet:
        print(f"{summary.originals} originals under {args.prefix!r} in {_describe(spec)}: {summary.variants} "
              f"variants, {summary.generated} generated, {summary.skipped} already there, {summary.failed} failed")
    for failure in summary.failures[:20]:
        print(f"  failed: {failure}", file=sys.stderr)
    return Exit.FAILED if summary.failed else Exit.OK


def _resize(args: argparse.Namespace) -> int:
    from .resizefile import resize_file

    config, _ = _config(args)
    return resize_file(args.input, args.output, args.query, config, accept=args.accept,
                       user_agent=args.user_agent, quiet=args.quiet)

