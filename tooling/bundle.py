"""Build the Lambda zips without Docker and without the runtime's Python on PATH: the two Lambda@Edge
functions, the regional generator (Mode=regional) and the purge function (regional, on S3 events).

Each function gets a staging directory ``build/<name>/`` and a zip ``build/<name>.zip`` (what template.yaml's
``CodeUri`` points at):

* third-party wheels installed by ``pip install --target`` for the template's runtime (CPython 3.12 or 3.13
  on Amazon Linux 2023, glibc 2.34) and the function's architecture (x86_64 at the edge; the regional
  function's ``Architectures``, x86_64 or arm64): ``--only-binary=:all:``, every ``manylinux_2_17 .. manylinux_2_34``
  tag of the architecture (``manylinux2014`` alone would silently pick old numpy/Pillow, whose current releases
  ship only manylinux_2_28 wheels), ``--no-compile`` (no host-Python ``.pyc``);
* exactly the wheels of the function's lock file, ``requirements/lambda-<name>.txt`` (``tooling/lock.py``),
  installed with ``--require-hashes --no-deps``: the versions and bytes that were locked and committed, whatever
  the building machine has installed;
* the ``imgedge`` package minus what the function never imports, the handler module, and the generated
  ``imgedge/config.json``;
* where it holds ``imgedge/core``, the compiled SSIMULACRA2 kernel ``q=auto`` measures with, built here
  for the function's architecture and the runtime's glibc (``tooling/native.py``; never the repository's
  own build); where it cannot be built (no C compiler, another architecture) the zip measures with numpy
  and the build says so;
* stripped of ``tests`` directories, ``__pycache__``, ``*.pyc`` and pip's ``bin/`` scripts.

Zips are deterministic: entries sorted, timestamps fixed at 1980-01-01, modes normalised, so unchanged
inputs give byte-identical zips (and ``sam deploy`` uploads nothing new and publishes no new version).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import native

REPO_ROOT = Path(__file__).resolve().parents[1]
MB = 1_000_000  # limits are checked in decimal megabytes: stricter than MiB, never too lax

#: glibc of the Amazon Linux each Lambda Python runtime runs on (AL2023 = 2.34). AL2 runtimes (3.10/3.11,
#: glibc 2.26) cannot load the manylinux_2_28 wheels current Pillow/numpy ship, so they are refused.
RUNTIME_GLIBC_MINOR = {"python3.12": 34, "python3.13": 34}
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: Lambda architecture -> the machine name in wheel platform tags (and ``platform.machine()``'s).
WHEEL_MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Bundle:
    name: str
    handler: str  # repo-relative path of the handler module
    requirements: tuple[str, ...]
    #: Paths under imgedge/ left out (sub-packages or modules, "/"-separated).
    imgedge_exclude: frozenset[str]
    limit_bytes: int
    aim_bytes: int | None = None
    #: Top-level import names that must not be in the zip.
    forbidden: frozenset[str] = field(default_factory=frozenset)
    unzipped_limit_bytes: int = 250 * 1024 * 1024
    #: The function's logical id in template.yaml (its Architectures decide the wheels).
    function: str | None = None
    #: Lambda architecture the wheels are for; scripts/package.py sets it from the template.
    architecture: str = "x86_64"
    #: When set, the only paths under imgedge/ copied (sub-packages whole, or modules), before exclusions.
    imgedge_include: frozenset[str] | None = None

    @property
    def zip_name(self) -> str:
        return f"{self.name}.zip"


BUNDLES: dict[str, Bundle] = {
    "viewer-request": Bundle(
        name="viewer-request",
        handler="handlers/viewer_request.py",
        # No wheels: the device classifier is imgedge's own code and data (imgedge/device_models.json).
        requirements=(),
        # The viewer path is the request layer and what its handler imports besides: no image code, no S3,
        # no local server (tests/request/test_layer.py checks the list against the handler's imports).
        imgedge_exclude=frozenset(),
        imgedge_include=frozenset(
            {"request", "__init__.py", "config.py", "errors.py", "device.py", "device_models.py",
             "device_models.json", "observability.py", "answers.py", "deadline.py", "transport.py", "edge/__init__.py",
             "edge/cloudfront.py", "edge/viewer_request.py"}
        ),
        limit_bytes=1 * MB,
        forbidden=frozenset({"PIL", "numpy", "boto3", "botocore", "s3transfer"}),
        function="ViewerRequestFunction",
    ),
    "origin-response": Bundle(
        name="origin-response",
        handler="handlers/origin_response.py",
        requirements=("Pillow", "cykooz.resizer", "numpy", "pyspng", "webp", "zlib-ng"),
        imgedge_exclude=frozenset({"local", "regional", "cli"}),
        limit_bytes=50 * MB,
        aim_bytes=25 * MB,
        # boto3/botocore come with the Lambda runtime.
        forbidden=frozenset({"boto3", "botocore", "s3transfer"}),
        function="OriginResponseFunction",
    ),
    # Mode=regional: the generator behind a Function URL: the generation step (Pillow, and numpy for smart
    # crop and blurhash, imported lazily by those two steps only) and the device classifier for its log line;
    # not the edge adapters, the WSGI server nor the local failover. A regional zip may be 50 MB uploaded
    # directly, 250 MB unzipped (SAM uploads it through S3).
    "regional": Bundle(
        name="regional",
        handler="handlers/regional.py",
        requirements=("Pillow", "cykooz.resizer", "numpy", "pyspng", "webp", "zlib-ng"),
        imgedge_exclude=frozenset({"local", "cli", "edge/viewer_request.py",
                                   "edge/origin_response.py", "regional/wsgi.py"}),
        limit_bytes=50 * MB,
        aim_bytes=25 * MB,
        forbidden=frozenset({"boto3", "botocore", "s3transfer"}),
        function="GeneratorFunction",
    ),
    # Both modes: the purge function (regional, S3 ObjectCreated/ObjectRemoved on originals). It lists and deletes
    # variants with boto3, which the Lambda runtime provides: no wheels at all, no image code.
    "purge": Bundle(
        name="purge",
        handler="handlers/purge.py",
        requirements=(),
        imgedge_exclude=frozenset({"core", "local", "regional", "cli", "warm.py"}),
        limit_bytes=50 * MB,
        aim_bytes=1 * MB,
        forbidden=frozenset({"PIL", "numpy", "boto3", "botocore", "s3transfer", "user_agents", "ua_parser"}),
        function="PurgeFunction",
    ),
}


class PackagingError(RuntimeError):
    pass


def pip_platforms(runtime: str, architecture: str = "x86_64") -> list[str]:
    if runtime not in RUNTIME_GLIBC_MINOR:
        raise PackagingError(
            f"runtime {runtime!r} is not supported by this packager: use python3.12 or python3.13 "
            "(Amazon Linux 2023); AL2 runtimes cannot load manylinux_2_28 wheels"
        )
    if architecture not in WHEEL_MACHINE:
        raise PackagingError(f"architecture {architecture!r} is not a Lambda architecture (x86_64, arm64)")
    machine = WHEEL_MACHINE[architecture]
    top = RUNTIME_GLIBC_MINOR[runtime]
    return [f"manylinux_2_{minor}_{machine}" for minor in range(top, 16, -1)] + [f"manylinux2014_{machine}"]


#: Requirements with wheels for some Lambda architectures only, and what the code does without them.
#: cykooz.resizer (the SIMD resampler) publishes no manylinux aarch64 wheel (4.0.1); without it
#: ``imgedge.core.resize`` falls back to Pillow's resampler (same picture, slower: benchmarks/RESULTS.md).
#: pyspng (the one-call PNG decoder) has none either (0.1.x); without it Pillow decodes PNGs (same pixels).
#: zlib-ng (the strip-wise PNG decode's inflater) has an aarch64 wheel but serves only beside pyspng.
ARCHITECTURE_ONLY: dict[str, tuple[str, ...]] = {"cykooz.resizer": ("x86_64",), "pyspng": ("x86_64",),
                                                 "zlib-ng": ("x86_64",)}


def requirements_for(bundle: Bundle) -> tuple[str, ...]:
    """``bundle.requirements`` less those with no wheel for its architecture (``ARCHITECTURE_ONLY``)."""
    return tuple(name for name in bundle.requirements
                 if bundle.architecture in ARCHITECTURE_ONLY.get(name, (bundle.architecture,)))


def python_version(runtime: str) -> str:
    match = re.fullmatch(r"python(3\.\d+)", runtime)
    if not match:
        raise PackagingError(f"not a Python runtime: {runtime!r}")
    return match.group(1)


def pip_install_command(target: Path, requirements: list[str], runtime: str,
                        architecture: str = "x86_64") -> list[str]:
    command = [
        sys.executable, "-m", "pip", "install",
        "--quiet", "--disable-pip-version-check", "--no-warn-script-location",
        "--target", str(target),
        "--only-binary=:all:",
        "--implementation", "cp",
        "--python-version", python_version(runtime),
        "--no-compile",
    ]
    for platform in pip_platforms(runtime, architecture):
        command += ["--platform", platform]
    return command + requirements


def locked_install_command(target: Path, lock_file: Path, runtime: str, architecture: str = "x86_64") -> list[str]:
    """pip installing the lock file and nothing else: every wheel pinned and hash-checked, no dependency
    resolved beyond what the lock lists."""
    return pip_install_command(target, ["--require-hashes", "--no-deps", "-r", str(lock_file)], runtime,
                               architecture)


def strip_tree(root: Path) -> None:
    """Remove what never runs at the edge: tests, bytecode of the host Python, console scripts."""
    shutil.rmtree(root / "bin", ignore_errors=True)
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and path.name in ("tests", "__pycache__"):
            shutil.rmtree(path)
        elif path.is_file() and (path.suffix in (".pyc", ".pyo") or path.name == "tests.py"):
            path.unlink()


def copy_project(bundle: Bundle, stage: Path, config_json: bytes, repo: Path = REPO_ROOT) -> None:
    """imgedge (minus the bundle's exclusions), the handler module and the generated config."""
    source = repo / "imgedge"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "config.json", "*.so", "*.c")  # the kernel: build_kernel

    def top_ignore(directory: str, names: list[str]) -> set[str]:
        skipped = set(ignore(directory, names))
        relative = Path(directory).relative_to(source)
        skipped |= {n for n in names if (relative / n).as_posix() in bundle.imgedge_exclude}
        if bundle.imgedge_include is not None:
            skipped |= {n for n in names if not _included((relative / n).as_posix(), bundle.imgedge_include)}
        return skipped

    shutil.copytree(source, stage / "imgedge", ignore=top_ignore)
    (stage / "imgedge" / "config.json").write_bytes(config_json)
    handler = repo / bundle.handler
    (stage / Path(bundle.handler).parent).mkdir(parents=True, exist_ok=True)
    shutil.copy2(handler, stage / bundle.handler)
    # Lambda imports "handlers.<module>"; an explicit package is sturdier than a namespace package.
    init = stage / Path(bundle.handler).parent / "__init__.py"
    if not init.exists():
        init.write_bytes(b"")


def _included(path: str, include: frozenset[str]) -> bool:
    """``path`` is listed, lies in a listed folder, or is a folder holding a listed path."""
    return any(path == item or path.startswith(item + "/") or item.startswith(path + "/") for item in include)


def check_contents(bundle: Bundle, stage: Path, runtime: str) -> None:
    present = {p.name.split(".")[0] for p in stage.iterdir()}
    leaked = sorted(present & bundle.forbidden)
    if leaked:
        raise PackagingError(f"{bundle.name}: must not contain {', '.join(leaked)}")
    glibc_top = RUNTIME_GLIBC_MINOR[runtime]
    machine = WHEEL_MACHINE.get(bundle.architecture, bundle.architecture)
    cp = "cp" + python_version(runtime).replace(".", "")
    for wheel in sorted(stage.glob("*.dist-info/WHEEL")):
        for line in wheel.read_text(encoding="utf-8").splitlines():
            if not line.startswith("Tag:"):
                continue
            py, abi, plat = line.split(":", 1)[1].strip().split("-")
            if plat == "any":
                continue
            ok_py = py in (cp, "py3") or (abi == "abi3" and py.startswith("cp3"))
            manylinux = re.fullmatch(r"manylinux_2_(\d+)_" + re.escape(machine), plat)
            legacy = plat in (f"manylinux1_{machine}", f"manylinux2010_{machine}", f"manylinux2014_{machine}")
            if not ok_py or not (legacy or (manylinux and int(manylinux.group(1)) <= glibc_top)):
                raise PackagingError(f"{bundle.name}: {wheel.parent.name} has tag {py}-{abi}-{plat}, which {runtime} "
                                     f"on Amazon Linux 2023 {bundle.architecture} cannot load")


def write_zip(stage: Path, destination: Path) -> None:
    """A deterministic zip of ``stage``: sorted entries, fixed timestamps and modes, deflate level 9."""
    files = sorted((p for p in stage.rglob("*") if p.is_file()), key=lambda p: p.relative_to(stage).as_posix())
    temporary = destination.with_suffix(".zip.tmp")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(stage).as_posix(), date_time=FIXED_ZIP_TIME)
            executable = path.suffix == ".so" or ".so." in path.name or os.access(path, os.X_OK)
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            info.create_system = 3  # Unix, whatever the building host
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    temporary.replace(destination)


def build_kernel(bundle: Bundle, stage: Path, runtime: str) -> str:
    """Build the compiled kernel into a staged ``imgedge/core`` for the function's architecture and
    runtime; what the zip measures ``q=auto`` with, as the report says it."""
    core = stage / "imgedge" / "core"
    if not core.is_dir():
        return ""
    try:
        built = native.build(core, machine=WHEEL_MACHINE.get(bundle.architecture, bundle.architecture),
                             glibc_minor=RUNTIME_GLIBC_MINOR[runtime])
    except native.NativeError as exc:
        return f"q=auto on numpy (kernel not built: {exc.args[0].splitlines()[0]})"
    return "q=auto on the compiled kernel (" + ", ".join(path.name for path in built) + ")"


@dataclass(frozen=True)
class BuildResult:
    bundle: Bundle
    zip_path: Path
    zipped_bytes: int
    unzipped_bytes: int
    #: What ``build_kernel`` said ("" for a function without the image core).
    kernel: str = ""

    @property
    def over_limit(self) -> bool:
        return self.zipped_bytes > self.bundle.limit_bytes or self.unzipped_bytes > self.bundle.unzipped_limit_bytes

    @property
    def over_aim(self) -> bool:
        return self.bundle.aim_bytes is not None and self.zipped_bytes > self.bundle.aim_bytes

    def report(self) -> str:
        b = self.bundle
        line = (f"{b.name:<16} {self.zip_path}  {self.zipped_bytes:>12,} B = {self.zipped_bytes / MB:6.2f} MB "
                f"of {b.limit_bytes / MB:g} MB limit ({100 * self.zipped_bytes / b.limit_bytes:4.1f}%)")
        if b.aim_bytes:
            line += f", aim {b.aim_bytes / MB:g} MB"
        line += f"; unzipped {self.unzipped_bytes / MB:.1f} MB"
        status = "OVER LIMIT" if self.over_limit else ("over aim" if self.over_aim else "ok")
        return f"{line}  {status}" + (f"\n{'':<17}{self.kernel}" if self.kernel else "")


def build(
    bundle: Bundle,
    out_dir: Path,
    runtime: str,
    config_json: bytes,
    *,
    lock_file: Path | None,
    repo: Path = REPO_ROOT,
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
) -> BuildResult:
    """Stage and zip one function into ``out_dir/<name>/`` and ``out_dir/<name>.zip``, its wheels from
    ``lock_file`` (``tooling.lock.check_lock``; None for a function without wheels)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = out_dir / bundle.name
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    if lock_file is not None:  # the purge function has none: pip refuses to install nothing
        command = locked_install_command(stage, lock_file, runtime, bundle.architecture)
        completed = run(command, capture_output=True, text=True)
        if completed.returncode != 0:
            raise PackagingError(f"{bundle.name}: pip failed ({' '.join(command)}):\n"
                                 f"{completed.stderr or completed.stdout}")
    strip_tree(stage)
    copy_project(bundle, stage, config_json, repo)
    kernel = build_kernel(bundle, stage, runtime)
    check_contents(bundle, stage, runtime)
    zip_path = out_dir / bundle.zip_name
    write_zip(stage, zip_path)
    unzipped = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file())
    return BuildResult(bundle, zip_path, zip_path.stat().st_size, unzipped, kernel)
