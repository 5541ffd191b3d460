"""Bounded generation: the costly unsigned URLs under the default config, on one core, against the
origin-response function's limits in template.yaml.

    python benchmarks/bounded_generation.py [--cases NAME,...] [--repeat N] [--out FILE]
                                            [--cpu N | --no-pin] [--cache-dir DIR] [--timeout S]

The cases and their originals are ``tests/hardening/costly.py``'s (built once into ``--cache-dir``,
default ``.benchmarks/costly-originals``). A moto S3 server runs in this process; each case gets a fresh
bucket holding its original and runs in a child interpreter pinned to one CPU, driven as CloudFront
drives the deployed functions: the viewer-request rewrites the URL to its variant (not timed), then
``imgedge.edge.origin_response.handle`` answers S3's 404 for it with ``Config()``. Imports, the S3 client
and Pillow's codecs are loaded before the call, as in a warm container.

Measured from handler entry to return: wall time, CPU time (``getrusage``, every thread of the child),
the child's RSS just before the call and its peak RSS (``ru_maxrss``, raw: the interpreter and its
imports included, as Lambda counts it), the status and the answer's bytes. Then the same URL is asked
``--repeat`` more times, each as CloudFront would after the first answer: a 404 event again if no
variant was stored (a refusal: the repeat should be cheap), else the 200 event for the stored variant.
``--cases`` takes names (or substrings of names), comma-separated.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(ROOT), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

DEFAULT_CACHE = ROOT / ".benchmarks" / "costly-originals"
FUNCTION = "OriginResponseFunction"
MEMORY_PARAMETER = "OriginResponseMemory"
#: The promise, per case: from the handler's entry to its return within this many seconds on one core
#: (a 1,536 MB Lambda has ~0.87 vCPU: ~1.15x this, under its 30 s), peaking under this share of memory.
TARGET_SECONDS = 25
MEMORY_TARGET = 0.8


def template_limits() -> dict[str, int]:
    """The origin-response function's timeout and its smallest and default memory, from template.yaml."""
    from tooling.template import load_template

    template = load_template()
    memory = template["Parameters"][MEMORY_PARAMETER]
    return {"timeout_s": int(template["Resources"][FUNCTION]["Properties"]["Timeout"]),
            "memory_min_mib": int(memory["MinValue"]), "memory_default_mib": int(memory["Default"])}


def select(patterns: str | None):
    """The cases named by ``patterns`` (comma-separated names or substrings), in table order."""
    from tests.hardening.costly import CASES

    if not patterns:
        return list(CASES)
    wanted = [p.strip() for p in patterns.split(",") if p.strip()]
    chosen = [c for c in CASES if any(p == c.name or p in c.name for p in wanted)]
    if not chosen:
        raise SystemExit(f"no case matches {patterns!r}; cases: {', '.join(c.name for c in CASES)}")
    return chosen


# ----------------------------------------------------------------------------------------- the child


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _variant_stored(client, bucket: str, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True


def child(case_name: str, bucket: str, repeat: int) -> dict:
    """One case in this (pinned, fresh) interpreter; returns the measurements."""
    import base64

    import boto3

    import imgedge.core  # noqa: F401  (Pillow and its codecs, loaded as in a warm container)
    from imgedge.config import Config
    from imgedge.edge import origin_response
    from imgedge.store import S3Store
    from imgedge.store.s3 import client_config
    from tests.hardening.costly import CASES_BY_NAME, edge_request, origin_event, variant_key

    from _child import vm

    case = CASES_BY_NAME[case_name]
    config = Config()
    client = boto3.client("s3", config=client_config())
    store = S3Store(client, bucket)
    request = edge_request(case, config)
    if "status" in request:  # refused by the viewer-request: no origin work at all
        return {"status": int(request["status"]), "outcome": "viewer-refused", "wall_ms": 0.0, "cpu_ms": 0.0,
                "rss_before_mib": vm("VmRSS") / 1024, "peak_rss_mib": vm("VmHWM") / 1024, "bytes": 0,
                "repeats": []}
    key = variant_key(request)

    def call(status: str) -> tuple[dict, dict, float, float]:
        entries: list[dict] = []
        event = origin_event(request, bucket, status)
        cpu, started = _cpu_seconds(), time.perf_counter()
        response = origin_response.handle(event, lambda _r: store, config, log=entries.append)
        return response, (entries[-1] if entries else {}), time.perf_counter() - started, _cpu_seconds() - cpu

    rss_before = vm("VmRSS")
    response, entry, wall, cpu = call("404")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    body = response.get("body", "")
    size = len(base64.b64decode(body)) if response.get("bodyEncoding") == "base64" else len(body)
    repeats = []
    for _ in range(repeat):
        again_status = "200" if _variant_stored(client, bucket, key) else "404"
        again, again_entry, again_wall, _ = call(again_status)
        repeats.append({"origin": again_status, "status": int(again["status"]), "wall_ms": _ms(again_wall),
                        "remembered": again_entry.get("remembered")})
    return {"status": int(response["status"]), "outcome": entry.get("outcome", "passed-through"),
            "reason": entry.get("reason"), "wall_ms": _ms(wall), "cpu_ms": _ms(cpu),
            "rss_before_mib": round(rss_before / 1024, 1), "peak_rss_mib": round(peak / 1024, 1), "bytes": size,
            "inline_fit_attempts": entry.get("inline_fit_attempts"), "predicted_ms": entry.get("predicted_ms"),
            "predicted_mb": entry.get("predicted_mb"), "repeats": repeats}


# ---------------------------------------------------------------------------------------- the parent


def pinned(cpu: int | None):
    """A ``preexec_fn`` that pins the child, and everything it starts, to ``cpu`` (None: no pinning)."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def stored_objects(client, bucket: str) -> list[tuple[str, int]]:
    """(key, size) of everything under the variants prefix after a case."""
    listed = client.list_objects_v2(Bucket=bucket, Prefix="_variants/").get("Contents", [])
    return [(item["Key"], item["Size"]) for item in listed]


def run_case(case, server, cache, args) -> dict:
    """Upload the case's original to a fresh bucket, run the child, and add what the bucket holds after."""
    from tests.hardening.costly import ORIGINALS

    client = server.client()
    bucket = f"imgedge-bench-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    original = ORIGINALS[case.original]
    client.put_object(Bucket=bucket, Key=original.key, Body=cache.data(case.original),
                      ContentType=original.content_type)
    env = {**os.environ, **server.env(), "PYTHONDONTWRITEBYTECODE": "1",
           "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(args.memory)}  # what Lambda tells the function
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", case.name, "--bucket", bucket,
           "--repeat", str(args.repeat)]
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, preexec_fn=pinned(args.cpu), capture_output=True,
                              text=True, timeout=args.timeout)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            row = {"crash": f"exit {done.returncode}", "stderr": done.stderr[-2000:]}
        else:
            row = json.loads(lines[-1])
    except subprocess.TimeoutExpired:
        row = {"crash": f"no answer in {args.timeout:g} s"}
    row["stored"] = stored_objects(client, bucket)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)
    return row


def _stored_cell(row: dict) -> str:
    """What the case left under the variants prefix: the variant, a refusal marker, or nothing."""
    cells = [f"{'marker' if key.endswith('.refused') else 'variant'} {size:,} B" for key, size in row["stored"]]
    return ", ".join(cells) or "–"


def verdict(case, row: dict, limits: dict[str, int]) -> str:
    """Against the promise: a status it allows, inside the timeout and the smallest memory setting."""
    if "crash" in row:
        return f"CRASH ({row['crash']})"
    problems = []
    if row["status"] not in case.expect:
        problems.append(f"status {row['status']} not in {sorted(case.expect)}")
    if row["wall_ms"] > TARGET_SECONDS * 1000:
        problems.append(f"OVER {TARGET_SECONDS} s")
    if row["peak_rss_mib"] > limits["memory_mib"] * MEMORY_TARGET:
        problems.append(f"OVER {MEMORY_TARGET:.0%} of {limits['memory_mib']} MB")
    return "; ".join(problems) or "ok"


def table(cases, rows: list[dict], limits: dict[str, int]) -> str:
    lines = [f"Limits (template.yaml, {FUNCTION}): Timeout {limits['timeout_s']} s; "
             f"{MEMORY_PARAMETER} MinValue {limits['memory_min_mib']} MB (Default {limits['memory_default_mib']} MB). "
             f"Run as a {limits['memory_mib']} MB function; verdict: wall <= {TARGET_SECONDS} s, peak RSS <= "
             f"{MEMORY_TARGET:.0%} of {limits['memory_mib']} MB.",
             "",
             "| case | original | query | status | outcome | wall s | predicted s | CPU s | RSS before MiB "
             "| peak RSS MiB | predicted +MiB | answer bytes | stored | repeat: origin status → status, wall ms "
             "| verdict |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for case, row in zip(cases, rows):
        head = f"| {case.name} | {case.original} | `{case.query}` "
        if "crash" in row:
            lines.append(head + f"| – | crash | – | – | – | – | – | – | – | {_stored_cell(row)} | – "
                                f"| {verdict(case, row, limits)} |")
            continue
        walls = [r["wall_ms"] for r in row["repeats"]]
        repeat = "–"
        if walls:
            first = row["repeats"][0]
            remembered = " (remembered)" if first.get("remembered") else ""
            repeat = (f"{first['origin']} → {first['status']}{remembered}, median {statistics.median(walls):.1f} "
                      f"(max {max(walls):.1f})")
        outcome = row["outcome"] + (f": {row['reason']}" if row.get("reason") else "")
        predicted_s = f"{row['predicted_ms'] / 1000:.2f}" if row.get("predicted_ms") is not None else "–"
        predicted_mb = f"{row['predicted_mb']:.0f}" if row.get("predicted_mb") is not None else "–"
        lines.append(head + f"| {row['status']} | {outcome} | {row['wall_ms'] / 1000:.2f} | {predicted_s} "
                     f"| {row['cpu_ms'] / 1000:.2f} | {row['rss_before_mib']:.0f} | {row['peak_rss_mib']:.0f} "
                     f"| {predicted_mb} | {row['bytes']:,} "
                     f"| {_stored_cell(row)} | {repeat} | {verdict(case, row, limits)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", help="comma-separated case names or substrings (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="times to ask the same URL again (default 1)")
    parser.add_argument("--out", type=Path, help="also write the markdown table here")
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin each case's child to (default 0)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the children")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="where the built originals live")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a child counts as hung")
    parser.add_argument("--memory", type=int, help="the function's memory in MB, as Lambda tells the child "
                        "(default: the template's smallest allowed, MinValue)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--bucket", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.bucket, args.repeat)))
        return 0
    if args.no_pin:
        args.cpu = None

    from tests.hardening.costly import ORIGINALS, OriginalCache
    from tests.s3servers import run_moto_server

    from run import machine

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    cases = select(args.cases)
    limits = template_limits()
    args.memory = args.memory or limits["memory_min_mib"]
    limits["memory_mib"] = args.memory
    cache = OriginalCache(args.cache_dir)
    for name in dict.fromkeys(case.original for case in cases):
        started = time.perf_counter()
        path = cache.path(name)
        print(f"original {name}: {ORIGINALS[name].note}, {path.stat().st_size:,} B "
              f"(ready in {time.perf_counter() - started:.1f} s)", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="imgedge-bench-s3-") as workdir, \
            run_moto_server(Path(workdir)) as server:
        for case in cases:
            row = run_case(case, server, cache, args)
            rows.append(row)
            summary = row.get("crash") or (f"{row['status']} in {row['wall_ms'] / 1000:.2f} s, "
                                           f"{row['peak_rss_mib']:.0f} MiB")
            print(f"{case.name}: {summary}", flush=True)
    pin = f"each case pinned to CPU {args.cpu}" if args.cpu is not None else "not pinned"
    report = f"Machine: {machine()}; {pin}; default Config().\n\n" + table(cases, rows, limits)
    print("\n" + report)
    if args.out:
        args.out.write_text(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
