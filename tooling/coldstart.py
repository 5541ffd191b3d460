"""Measure the cold start of each built function the way Lambda starts it: a fresh interpreter of the
runtime's version, the unzipped package first on ``sys.path``, boto3 as the runtime provides it, no
site-packages; and compare the thin Function URL handler with the Lambda Web Adapter way of running the
regional generator (a web server the adapter waits for).

    make package && .venv/bin/python -m tooling.coldstart            # build/, 15 runs each
    .venv/bin/python -m tooling.coldstart --runs 30 --python python3.12

Per function it reports the median and the 90th percentile of:

* ``init``: importing the handler module (what Lambda's INIT phase runs, clients included), compiling the
  package's modules as Lambda must (no bytecode in the zips, a read-only ``/var/task``);
* ``process``: spawn to exit of that interpreter (init plus CPython's own start, ~15-25 ms);
* ``first call``: what the first invocation adds before any work: the regional generator imports Pillow and
  the generation step at its first render (numpy only if a render needs it); the origin-response function
  creates its S3 client. ``init + first call`` compares the two generators;
* for the Lambda Web Adapter variant: spawn until the stdlib WSGI server answers the adapter's readiness
  check (``GET /``), excluding the adapter's own start (a separate binary we cannot run here).

Local numbers on a developer machine, not Lambda's: use them to compare the options with each other.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
#: What the Lambda Python runtime ships besides the standard library.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")

INIT = r"""
import json, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
started = time.perf_counter()
__import__(sys.argv[3])
init = time.perf_counter() - started
extra = None
if sys.argv[4] == "render":  # what GeneratorApp imports at its first render (numpy only if a render needs it)
    started = time.perf_counter()
    import imgedge.generate, imgedge.device  # noqa: E401,F401
    extra = time.perf_counter() - started
elif sys.argv[4] == "client":  # handlers.origin_response creates its S3 client at the first invocation
    started = time.perf_counter()
    sys.modules[sys.argv[3]]._client("us-east-1")
    extra = time.perf_counter() - started
print(json.dumps({"init_ms": init * 1000, "extra_ms": None if extra is None else extra * 1000}))
"""

WSGI = r"""
import runpy, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
sys.argv = ["imgedge.regional.wsgi"]
runpy.run_module("imgedge.regional.wsgi", run_name="__main__")
"""

FUNCTIONS = (
    # (bundle, handler module, what else to time)
    ("viewer-request", "handlers.viewer_request", None),
    ("origin-response", "handlers.origin_response", "client"),
    ("regional", "handlers.regional", "render"),
)


def find_python(version: str = "3.12") -> str | None:
    """A CPython ``version`` interpreter that runs (pyenv installs first: its shims may refuse to run)."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [*sorted(map(str, pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))),
                  shutil.which(f"python{version}")]
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def runtime_dir(directory: Path) -> Path:
    """Symlinks to this environment's boto3 and its dependencies: the runtime's copy, outside site-packages."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = directory / source.name
        if not link.exists():
            link.symlink_to(source)
    return directory


def environment(home: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "measure", "AWS_SECRET_ACCESS_KEY": "measure",
            "AWS_EC2_METADATA_DISABLED": "true", "IMGEDGE_BUCKET": "coldstart-measurement"}


def stats(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return f"median {statistics.median(ordered):7.1f} ms, p90 {p90:7.1f} ms"


def drop_bytecode(package: Path) -> None:
    """Lambda's /var/task is read-only and the zips carry no bytecode: every cold start compiles the package's
    modules. So measure without any (``-B`` then keeps it that way); the runtime's boto3 keeps its own."""
    for cache in package.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def measure_init(python: str, package: Path, runtime: Path, module: str, extra: str | None, runs: int,
                 env: dict[str, str]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"init": [], "process": [], "extra": []}
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([python, "-I", "-S", "-B", "-c", INIT, str(package), str(runtime), module, extra or ""],
                              capture_output=True, text=True, env=env, cwd=env["HOME"], timeout=120)
        elapsed = (time.perf_counter() - started) * 1000
        if done.returncode != 0:
            raise RuntimeError(f"{module}: {done.stderr.strip()[-2000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        out["init"].append(report["init_ms"])
        out["process"].append(elapsed)
        if report["extra_ms"] is not None:
            out["extra"].append(report["extra_ms"])
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure_web_adapter(python: str, package: Path, runtime: Path, runs: int, env: dict[str, str]) -> list[float]:
    """Spawn until the WSGI server answers GET / (the adapter's default readiness check)."""
    times = []
    for _ in range(runs):
        port = free_port()
        started = time.perf_counter()
        process = subprocess.Popen([python, "-I", "-S", "-B", "-c", WSGI, str(package), str(runtime)],
                                   env={**env, "AWS_LWA_PORT": str(port)}, cwd=env["HOME"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = started + 30
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                        sock.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
                        if sock.recv(12).startswith(b"HTTP/1."):
                            break
                except OSError:
                    if process.poll() is not None or time.perf_counter() > deadline:
                        detail = process.stderr.read().decode()[-2000:] if process.stderr else ""
                        raise RuntimeError(f"the WSGI server did not start: {detail}") from None
                    time.sleep(0.002)
            times.append((time.perf_counter() - started) * 1000)
        finally:
            process.terminate()
            process.wait(10)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, default=REPO_ROOT / "build",
                        help="where make package left the staging directories (default: build/)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--python", help="the runtime's interpreter (default: a python3.12 found here)")
    args = parser.parse_args(argv)
    args.python = args.python or find_python("3.12")
    if not args.python:
        print("no python3.12 found: pass --python", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        runtime = runtime_dir(home / "runtime")
        env = environment(home)
        version = subprocess.run([args.python, "-c", "import sys; print(sys.version.split()[0])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        print(f"python {version} ({args.python}), {args.runs} runs each, fresh process per run\n")
        # Round robin (one run of each function per round), so background load weighs on all alike.
        chosen = [(n, m, e) for n, m, e in FUNCTIONS if (args.build / n).is_dir()]
        for name, _, _ in FUNCTIONS:
            if not (args.build / name).is_dir():
                print(f"{name:<16} not built ({args.build / name}); run make package", file=sys.stderr)
        results: dict[str, dict[str, list[float]]] = {n: {"init": [], "process": [], "extra": []} for n, _, _ in chosen}
        lwa: list[float] = []
        regional = args.build / "regional"
        staged = regional / "imgedge" / "regional" / "wsgi.py"
        # The zip leaves the WSGI module out (the stack runs the thin handler): add it for the adapter variant.
        added = regional.is_dir() and not staged.exists()
        if added:
            shutil.copy2(REPO_ROOT / "imgedge" / "regional" / "wsgi.py", staged)
        for name, _, _ in chosen:
            drop_bytecode(args.build / name)
        try:
            for _ in range(args.runs):
                for name, module, extra in chosen:
                    one = measure_init(args.python, args.build / name, runtime, module, extra, 1, env)
                    for key, values in one.items():
                        results[name][key] += values
                if regional.is_dir():
                    lwa += measure_web_adapter(args.python, regional, runtime, 1, env)
        finally:
            if added:
                staged.unlink()
        for name, _, _ in chosen:
            measured = results[name]
            zipped = args.build / f"{name}.zip"
            size = f"{zipped.stat().st_size / 1e6:.2f} MB zipped" if zipped.exists() else ""
            print(f"{name:<16} {size:>16}  init {stats(measured['init'])}; process {stats(measured['process'])}")
            if measured["extra"]:
                total = [a + b for a, b in zip(measured["init"], measured["extra"])]
                print(f"{'':<16} {'':>16}  first call {stats(measured['extra'])}; init + first call {stats(total)}")
        if lwa:
            print(f"{'regional (LWA)':<16} {'+ adapter layer':>16}  spawn to ready {stats(lwa)} "
                  "(plus the adapter's own start)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
