"""scripts/package.py: the wheels it asks pip for, what goes in each zip, deterministic zips, size limits,
and the built viewer-request zip running on its own (only the zip and the stdlib on sys.path).

The build tests download the locked wheels from PyPI (pip's cache makes reruns fast) and carry the ``network``
marker: skipped when PyPI is unreachable, deselected by ``-m "not network"``. Nothing talks to AWS.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.photos import photo
from tooling import bundle, config_gen, lock, native
from tooling.template import function_architecture, function_runtime, load_template, read_template

REPO_ROOT = Path(__file__).resolve().parents[2]


def cf_event(name: str) -> str:
    """A CloudFront sample event: the repo's fixtures/cf-events, else the shared folder beside the repo."""
    for folder in (REPO_ROOT / "fixtures" / "cf-events", REPO_ROOT.parent / "shared" / "cf-events"):
        if (folder / name).exists():
            return str(folder / name)
    pytest.fail(f"no sample event {name}")
RUNTIME = "python3.12"


# -- units: no network -------------------------------------------------------------------------------------


def test_pip_command_targets_lambda_python_and_avoids_the_manylinux2014_trap(tmp_path):
    command = bundle.pip_install_command(tmp_path, ["Pillow==13.0.0"], RUNTIME)
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    assert "manylinux_2_28_x86_64" in platforms and "manylinux2014_x86_64" in platforms
    assert "manylinux_2_34_x86_64" in platforms and "manylinux_2_35_x86_64" not in platforms
    for flag in ("--only-binary=:all:", "--no-compile"):
        assert flag in command
    assert command[command.index("--python-version") + 1] == "3.12"
    assert command[command.index("--implementation") + 1] == "cp"
    assert command[command.index("--target") + 1] == str(tmp_path)


@pytest.mark.parametrize("runtime", ["python3.11", "python3.9", "nodejs22.x"])
def test_runtimes_without_al2023_are_refused(runtime):
    with pytest.raises(bundle.PackagingError):
        bundle.pip_platforms(runtime)


def test_every_zip_with_wheels_has_a_current_lock_for_the_templates_runtime_and_architecture():
    template = read_template()
    runtime = function_runtime(template)
    for spec in bundle.BUNDLES.values():
        spec = dataclasses.replace(spec, architecture=function_architecture(template, spec.function))
        path = lock.check_lock(spec, runtime)
        if not bundle.requirements_for(spec):
            assert path is None and not lock.lock_path(spec.name).exists()
            continue
        pins = lock.read_lock(path).pins
        assert {lock.canonical(r) for r in bundle.requirements_for(spec)} <= set(pins)
        assert all(len(digest) == 64 for _, digests in pins.values() for digest in digests)


def test_a_missing_or_stale_lock_is_refused(tmp_path):
    origin = bundle.BUNDLES["origin-response"]
    with pytest.raises(bundle.PackagingError, match="no lock file"):
        lock.check_lock(origin, RUNTIME, tmp_path)
    committed = lock.lock_path("origin-response").read_text()
    for before, after, complaint in (("runtime=python3.12", "runtime=python3.13", "runtime python3.13"),
                                     ("architecture=x86_64", "architecture=arm64", "architecture arm64"),
                                     ("requirements=cykooz-resizer,", "requirements=", "the bundle needs")):
        lock.lock_path("origin-response", tmp_path).write_text(committed.replace(before, after))
        with pytest.raises(bundle.PackagingError, match=complaint):
            lock.check_lock(origin, RUNTIME, tmp_path)
    lock.lock_path("origin-response", tmp_path).write_text(re.sub(r"\\\n\s+--hash=sha256:\w+", "", committed))
    with pytest.raises(bundle.PackagingError, match="has no --hash"):
        lock.check_lock(origin, RUNTIME, tmp_path)


def test_builds_install_the_lock_hash_checked_and_nothing_else(tmp_path):
    command = bundle.locked_install_command(tmp_path / "t", tmp_path / "lambda-x.txt", RUNTIME)
    assert command[-4:] == ["--require-hashes", "--no-deps", "-r", str(tmp_path / "lambda-x.txt")]
    assert "--only-binary=:all:" in command and command[command.index("--python-version") + 1] == "3.12"


def test_lock_records_what_pip_resolved_for_the_lambda_platform():
    """``tooling.lock.resolve`` asks pip (dry run, the build's platform tags) and writes what it reports."""
    origin = bundle.BUNDLES["origin-response"]
    seen = []

    def fake_pip(command, **_):
        seen.append(command)
        report = {"install": [
            {"metadata": {"name": "Pillow", "version": "13.0.0"},
             "download_info": {"url": "u", "archive_info": {"hashes": {"sha256": "a" * 64}}}},
            {"metadata": {"name": "numpy", "version": "2.5.5"},
             "download_info": {"url": "u", "archive_info": {"hash": "sha256=" + "b" * 64}}}]}
        Path(command[command.index("--report") + 1]).write_text(json.dumps(report))
        return subprocess.CompletedProcess(command, 0, "", "")

    wheels = lock.resolve(origin, RUNTIME, run=fake_pip)
    assert wheels == [("numpy", "2.5.5", "b" * 64), ("pillow", "13.0.0", "a" * 64)]
    assert {"--dry-run", "--ignore-installed", "--only-binary=:all:"} <= set(seen[0])
    requirements = list(bundle.requirements_for(origin))
    assert "manylinux_2_28_x86_64" in seen[0] and seen[0][-len(requirements):] == requirements
    text = lock.render(origin, RUNTIME, wheels)
    assert ("lock: runtime=python3.12 architecture=x86_64 "
            "requirements=cykooz-resizer,numpy,pillow,pyspng,webp") in text
    assert "pillow==13.0.0 \\\n    --hash=sha256:" + "a" * 64 in text


def test_the_build_reads_the_template_as_cfn_lint_does():
    """The packager reads template.yaml with PyYAML alone (no cfn-lint in .venv-build): the same dict."""
    assert read_template() == load_template()


def test_the_network_probe_reports_an_unreachable_index():
    from tests.network import unreachable_reason

    reason = unreachable_reason("http://127.0.0.1:9/simple/", timeout=2)  # the discard port: nothing listens
    assert reason and "127.0.0.1:9" in reason


def test_strip_tree_removes_tests_bytecode_and_scripts(tmp_path):
    for rel in ("numpy/_core/tests/test_x.py", "numpy/testing/utils.py", "pkg/__pycache__/m.cpython-311.pyc",
                "pkg/mod.pyc", "bin/f2py", "user_agents/tests.py", "pkg/mod.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    bundle.strip_tree(tmp_path)
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["numpy/testing/utils.py", "pkg/mod.py"]


def test_write_zip_is_deterministic(tmp_path):
    stage = tmp_path / "stage"
    for rel in ("b/z.py", "a.py", "b/a.so"):
        (stage / rel).parent.mkdir(parents=True, exist_ok=True)
        (stage / rel).write_text(rel * 100)
    first, second = tmp_path / "1.zip", tmp_path / "2.zip"
    bundle.write_zip(stage, first)
    os.utime(stage / "a.py", (1_700_000_000, 1_700_000_000))
    (stage / "b" / "z.py").chmod(0o600)
    bundle.write_zip(stage, second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["a.py", "b/a.so", "b/z.py"]
    assert {i.date_time for i in infos} == {bundle.FIXED_ZIP_TIME}
    assert [(i.external_attr >> 16) & 0o777 for i in infos] == [0o644, 0o755, 0o644]


def test_check_contents_refuses_boto3_and_foreign_wheels(tmp_path):
    viewer = bundle.BUNDLES["viewer-request"]
    (tmp_path / "PIL").mkdir()
    with pytest.raises(bundle.PackagingError, match="PIL"):
        bundle.check_contents(viewer, tmp_path, RUNTIME)
    (tmp_path / "PIL").rmdir()
    dist = tmp_path / "thing-1.0.dist-info"
    dist.mkdir()
    for tag, ok in (("py3-none-any", True), ("cp312-cp312-manylinux_2_28_x86_64", True),
                    ("cp38-abi3-manylinux2014_x86_64", True), ("cp311-cp311-manylinux_2_28_x86_64", False),
                    ("cp312-cp312-manylinux_2_39_x86_64", False), ("cp312-cp312-manylinux_2_28_aarch64", False),
                    ("cp312-cp312-musllinux_1_2_x86_64", False)):
        (dist / "WHEEL").write_text(f"Wheel-Version: 1.0\nTag: {tag}\n")
        if ok:
            bundle.check_contents(viewer, tmp_path, RUNTIME)
        else:
            with pytest.raises(bundle.PackagingError, match="cannot load"):
                bundle.check_contents(viewer, tmp_path, RUNTIME)


def test_copy_project_leaves_out_what_the_viewer_never_imports(tmp_path):
    viewer = bundle.BUNDLES["viewer-request"]
    bundle.copy_project(viewer, tmp_path, b"{}\n")
    names = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert {"handlers/viewer_request.py", "handlers/__init__.py", "imgedge/config.json",
            "imgedge/edge/viewer_request.py", "imgedge/config.py"} <= names
    for excluded in ("imgedge/core/", "imgedge/store/", "imgedge/local/", "tooling/",
                     "imgedge/edge/origin_response.py", "handlers/origin_response.py", "imgedge/purge.py",
                     "imgedge/warm.py", "__pycache__"):
        assert not any(excluded in n for n in names), excluded
    assert (tmp_path / "imgedge" / "config.json").read_bytes() == b"{}\n"


def test_cli_config_options(package_script, tmp_path, capsys):
    config = tmp_path / "deploy.json"
    config.write_text(json.dumps({"ladder": [100, 200]}))
    assert package_script.main(["--config", str(config), "--print-config"]) == 0
    assert json.loads(capsys.readouterr().out)["ladder"] == [100, 200]
    assert package_script.main(["--config", str(tmp_path / "missing.json")]) == 2
    config.write_text(json.dumps({"ladders": [1]}))
    assert package_script.main(["--config", str(config), "--print-config"]) == 1
    assert "unknown config keys: ladders" in capsys.readouterr().err
    init = tmp_path / "new" / "config.json"
    assert package_script.main(["--init-config", str(init)]) == 0
    assert init.read_bytes() == config_gen.generate(None)[1]
    assert package_script.main(["--init-config", str(init)]) == 2  # never overwrites


# -- builds: pip downloads from PyPI ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every zip built once by the CLI (as `make package` runs it), and the CLI's output."""
    out = tmp_path_factory.mktemp("build")
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "package.py"), "--out", str(out)],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=900,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return out, completed.stdout


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


@pytest.mark.network
def test_build_reports_sizes_against_limits(built):
    out, stdout = built
    for name, limit in (("viewer-request", "1 MB limit"), ("origin-response", "50 MB limit"),
                        ("regional", "50 MB limit"), ("purge", "50 MB limit")):
        line = next(line for line in stdout.splitlines() if line.startswith(name))
        assert limit in line and line.endswith("ok"), line
    assert (out / "viewer-request.zip").stat().st_size < 1_000_000
    assert (out / "origin-response.zip").stat().st_size < 25_000_000


@pytest.mark.network
def test_zips_hold_exactly_the_locked_wheels(built):
    """What CI checks of the lock: each zip's installed distributions are the lock's, name for name and version
    for version (pip checked their hashes while installing them)."""
    for name in ("viewer-request", "origin-response", "regional", "purge"):
        with zipfile.ZipFile(built[0] / f"{name}.zip") as archive:
            dists = {lock.canonical(d.split("/")[0].removesuffix(".dist-info").rsplit("-", 1)[0]):
                     d.split("/")[0].removesuffix(".dist-info").rsplit("-", 1)[1]
                     for d in archive.namelist() if d.split("/")[0].endswith(".dist-info")}
        path = lock.lock_path(name)
        locked = {n: v for n, (v, _) in lock.read_lock(path).pins.items()} if path.exists() else {}
        assert dists == locked, name


@pytest.mark.network
def test_viewer_zip_holds_only_the_viewer(built):
    names = zip_names(built[0] / "viewer-request.zip")
    tops = {n.split("/")[0] for n in names}
    assert tops == {"handlers", "imgedge"}  # no wheels: the device classifier's table is imgedge's own data
    assert "imgedge/device_models.json" in names
    assert not [n for n in names if "/core/" in n or "/store/" in n or "/local/" in n or "/deploy/" in n]
    assert "imgedge/purge.py" not in names and "imgedge/warm.py" not in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/tests/" in n]


@pytest.mark.network
def test_origin_zip_holds_pillow_numpy_and_no_boto3(built):
    names = zip_names(built[0] / "origin-response.zip")
    tops = {n.split("/")[0] for n in names}
    assert {"handlers", "imgedge", "PIL", "cykooz_resizer", "numpy", "pyspng", "webp"} <= tops
    assert not tops & {"boto3", "botocore", "s3transfer", "bin"}
    assert "handlers/origin_response.py" in names and "imgedge/core/pipeline.py" in names
    if native.compiler() is not None:  # built for the zip, never the checkout's own build
        assert "imgedge/core/_ssimulacra2-x86-64-v3.so" in names
    assert "imgedge/core/ssimulacra2.c" not in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/tests/" in n]
    extensions = [n for n in names if n.startswith("PIL/_imaging.") and n.endswith(".so")]
    assert extensions and all("cpython-312-x86_64-linux-gnu" in n for n in extensions)


@pytest.mark.network
def test_both_zips_bundle_the_generated_config(built):
    expected = config_gen.generate(None)[1] if not (REPO_ROOT / "deploy" / "config.json").exists() else None
    for name in ("viewer-request", "origin-response"):
        with zipfile.ZipFile(built[0] / f"{name}.zip") as archive:
            data = archive.read("imgedge/config.json")
        config_gen.build_config(json.loads(data))  # accepted by Config.from_mapping
        if expected is not None:
            assert data == expected


VIEWER_RUN = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from handlers.viewer_request import handler
out = []
for path in sys.argv[2:]:
    with open(path) as fh:
        request = handler(json.load(fh), None)
    out.append({"uri": request["uri"], "querystring": request["querystring"]})
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"PIL", "numpy", "boto3", "botocore"})
try:
    import PIL  # noqa: F401
    importable = True
except ImportError:
    importable = False
from imgedge.config import BUNDLED_CONFIG
print(json.dumps({"results": out, "heavy": heavy, "pil_importable": importable,
                  "config": str(BUNDLED_CONFIG), "path": sys.path}))
"""


@pytest.mark.network
def test_viewer_zip_runs_alone(built, tmp_path):
    with zipfile.ZipFile(built[0] / "viewer-request.zip") as archive:
        archive.extractall(tmp_path / "fn")
    events = [cf_event("viewer-request-iphone-safari.json"), cf_event("viewer-request-desktop-chrome.json")]
    # -I: no PYTHON* variables, no user site, no script dir; -S: no site-packages. Only the zip and the stdlib.
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", VIEWER_RUN, str(tmp_path / "fn"), *events],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert not [p for p in report["path"] if "site-packages" in p]
    assert report["heavy"] == [] and report["pil_importable"] is False
    assert report["config"] == str(tmp_path / "fn" / "imgedge" / "config.json")
    for result in report["results"]:
        assert result["uri"].startswith("/_variants/photos/cat.jpg/") and result["querystring"] == ""
    assert report["results"][0]["uri"] != report["results"][1]["uri"]  # phone and desktop get different widths


@pytest.mark.network
def test_rebuild_gives_identical_zip_and_oversize_fails(package_script, built, tmp_path, monkeypatch, capsys):
    assert package_script.main(["--only", "viewer-request", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "viewer-request.zip").read_bytes() == (built[0] / "viewer-request.zip").read_bytes()
    tiny = bundle.Bundle(**{**bundle.BUNDLES["viewer-request"].__dict__, "limit_bytes": 10_000})
    monkeypatch.setitem(bundle.BUNDLES, "viewer-request", tiny)
    assert package_script.main(["--only", "viewer-request", "--out", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "OVER LIMIT" in captured.out and "FAILED" in captured.err


ORIGIN_RUN = r"""
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]  # the zip, then boto3 as the Lambda runtime provides it
from handlers.origin_response import handler
with open(sys.argv[3]) as fh:
    response = handler(json.load(fh), None)
from imgedge.core import perceptual, resize
print(json.dumps({"response": response, "version": list(sys.version_info[:2]),
                  "engine": perceptual.ENGINE.name,
                  "pillow": __import__("PIL").__file__,
                  "config": __import__("imgedge.config").config.BUNDLED_CONFIG.as_posix(),
                  "simd": resize.SIMD and __import__("cykooz_resizer").__file__}))
"""

#: What the Lambda Python runtime ships besides the standard library (boto3 and its dependencies).
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def _unpacked_on_runtime(zip_path: Path, tmp_path: Path) -> tuple[str, Path]:
    """Unzip a function into ``tmp_path/fn`` and link what the Lambda runtime adds (boto3 and its
    dependencies) into ``tmp_path/runtime``; returns (the runtime-version python, that dir). Skips without
    a python of the runtime's version here, which the cp312 wheels need."""
    import importlib.util

    python = _lambda_python()
    if python is None:
        pytest.skip("no python3.12 here (the Lambda runtime's version) to load the function's wheels")
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(tmp_path / "fn")
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    for name in RUNTIME_PACKAGES:
        origin = Path(importlib.util.find_spec(name).origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (runtime / source.name).symlink_to(source)
    return python, runtime


def _lambda_python() -> str | None:
    """A CPython of the template's runtime version on this machine, if any (pyenv, distro packages)."""
    import shutil

    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [shutil.which("python3.12"), *sorted(map(str, pyenv_root.glob("versions/3.12.*/bin/python3.12")))]
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
                               capture_output=True, text=True)
        if probe.stdout.strip() == "True":
            return candidate
    return None


@pytest.mark.network
def test_origin_zip_renders_a_variant_alone_on_the_runtime_python(built, tmp_path):
    """Unzipped alone, on CPython 3.12 with only the stdlib and boto3 beside it (as on Lambda), the
    origin-response handler renders a variant from a local S3 server (moto) and stores it."""
    import io

    from PIL import Image

    from handlers.viewer_request import handler as viewer_handler
    from tests.events import IPHONE_UA, origin_response, viewer_request
    from tests.s3servers import run_moto_server

    python, runtime = _unpacked_on_runtime(built[0] / "origin-response.zip", tmp_path)

    uri = viewer_handler(viewer_request("/photos/cat.jpg", "w=600", user_agent=IPHONE_UA,
                                        accept="image/avif,image/webp,*/*"), None)["uri"]
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(origin_response(uri, "404", bucket="imgedge-deploy-test", device="mobile")))
    original = photo("lake-boats-4mp.jpg")

    with run_moto_server(tmp_path) as server:
        client = server.client()
        client.create_bucket(Bucket="imgedge-deploy-test")
        client.put_object(Bucket="imgedge-deploy-test", Key="photos/cat.jpg", Body=original,
                          ContentType="image/jpeg")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **server.env()}
        completed = subprocess.run([python, "-I", "-S", "-c", ORIGIN_RUN, str(tmp_path / "fn"), str(runtime),
                                    str(event_path)], capture_output=True, text=True, env=env, cwd=tmp_path,
                                   timeout=120)
        assert completed.returncode == 0, completed.stderr
        stored = client.get_object(Bucket="imgedge-deploy-test", Key=uri.lstrip("/"))
    report = json.loads(completed.stdout.splitlines()[-1])
    assert report["version"] == [3, 12]
    assert report["pillow"].startswith(str(tmp_path / "fn"))
    assert report["simd"] and report["simd"].startswith(str(tmp_path / "fn"))  # the SIMD resampler's wheel loads
    assert report["config"] == (tmp_path / "fn" / "imgedge" / "config.json").as_posix()
    # q=auto's measure: the kernel the build compiled into the zip, wherever this CPU runs it
    from imgedge.core import native
    runs_kernel = native.FLAVOURS[0][1] <= native.cpu_flags()
    assert report["engine"] == (f"compiled ({native.FLAVOURS[0][0]})" if runs_kernel else "numpy")
    response = report["response"]
    assert response["status"] == "200", response
    headers = response["headers"]
    assert headers["content-type"][0]["value"] == "image/avif"
    assert headers["transfer-encoding"] == [{"key": "Transfer-Encoding", "value": "chunked"}]  # left alone
    body = __import__("base64").b64decode(response["body"])
    assert body == stored["Body"].read()
    assert Image.open(io.BytesIO(body)).size == (640, 400)


# -- the regional generator's zip (Mode=regional) ----------------------------------------------------------


def test_the_kernel_is_built_for_the_function_or_the_zip_says_it_measures_with_numpy(tmp_path):
    regional = bundle.BUNDLES["regional"]
    (tmp_path / "imgedge" / "core").mkdir(parents=True)
    note = bundle.build_kernel(dataclasses.replace(regional, architecture="arm64"), tmp_path, RUNTIME)
    assert note == "q=auto on numpy (kernel not built: no build of the kernel for aarch64)"
    assert not list(tmp_path.rglob("*.so"))
    assert bundle.build_kernel(bundle.BUNDLES["purge"], tmp_path / "purge", RUNTIME) == ""  # no image core
    if native.compiler() is not None and platform.machine() == "x86_64":
        note = bundle.build_kernel(regional, tmp_path, RUNTIME)
        assert note == "q=auto on the compiled kernel (_ssimulacra2-x86-64-v3.so)"
        assert (tmp_path / "imgedge" / "core" / "_ssimulacra2-x86-64-v3.so").exists()


def test_arm64_functions_leave_out_the_wheels_that_have_no_aarch64_build():
    regional = bundle.BUNDLES["regional"]
    assert {"cykooz.resizer", "pyspng", "webp"} <= set(bundle.requirements_for(regional))
    arm = bundle.Bundle(**{**regional.__dict__, "architecture": "arm64"})
    # the SIMD resampler, the PNG decoder and its strip-wise inflater: Pillow does their work
    no_aarch64 = ("cykooz.resizer", "pyspng", "zlib-ng")
    assert bundle.requirements_for(arm) == tuple(r for r in regional.requirements if r not in no_aarch64)


def test_pip_command_for_arm64_asks_for_aarch64_wheels(tmp_path):
    command = bundle.pip_install_command(tmp_path, ["Pillow"], RUNTIME, "arm64")
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    assert platforms[0] == "manylinux_2_34_aarch64" and platforms[-1] == "manylinux2014_aarch64"
    assert not [p for p in platforms if "x86_64" in p]
    assert bundle.pip_platforms(RUNTIME) == bundle.pip_platforms(RUNTIME, "x86_64")  # the edge default
    with pytest.raises(bundle.PackagingError, match="architecture"):
        bundle.pip_platforms(RUNTIME, "s390x")


def test_check_contents_follows_the_bundles_architecture(tmp_path):
    arm = bundle.Bundle(**{**bundle.BUNDLES["regional"].__dict__, "architecture": "arm64"})
    dist = tmp_path / "thing-1.0.dist-info"
    dist.mkdir()
    (dist / "WHEEL").write_text("Wheel-Version: 1.0\nTag: cp312-cp312-manylinux_2_28_aarch64\n")
    bundle.check_contents(arm, tmp_path, RUNTIME)
    with pytest.raises(bundle.PackagingError, match="arm64 cannot load"):
        (dist / "WHEEL").write_text("Wheel-Version: 1.0\nTag: cp312-cp312-manylinux_2_28_x86_64\n")
        bundle.check_contents(arm, tmp_path, RUNTIME)


@pytest.mark.network
def test_edge_zips_are_unchanged_by_regional_mode(built):
    for name in ("viewer-request", "origin-response"):
        assert not [n for n in zip_names(built[0] / f"{name}.zip") if n.startswith(("imgedge/regional/",
                                                                                    "handlers/regional"))]


@pytest.mark.network
def test_regional_zip_contents(built):
    out, stdout = built
    assert "regional" in stdout and "building regional (x86_64)" in stdout
    names = zip_names(out / "regional.zip")
    tops = {n.split("/")[0] for n in names}
    assert {"handlers", "imgedge", "PIL", "cykooz_resizer", "numpy"} <= tops  # numpy: smart crop, blurhash
    assert not tops & {"boto3", "botocore", "s3transfer", "bin"}
    for needed in ("handlers/regional.py", "imgedge/regional/app.py", "imgedge/regional/function_url.py",
                   "imgedge/regional/settings.py", "imgedge/generate.py", "imgedge/core/pipeline.py",
                   "imgedge/edge/cloudfront.py", "imgedge/config.json"):
        assert needed in names, needed
    for left_out in ("imgedge/regional/wsgi.py", "imgedge/edge/viewer_request.py",
                     "imgedge/edge/origin_response.py", "handlers/origin_response.py", "imgedge/local/",
                     "tooling/"):
        assert not [n for n in names if n.startswith(left_out)], left_out
    extensions = [n for n in names if n.startswith("PIL/_imaging.") and n.endswith(".so")]
    assert extensions and all("cpython-312-x86_64-linux-gnu" in n for n in extensions)
    assert (out / "regional.zip").stat().st_size < bundle.BUNDLES["regional"].aim_bytes


@pytest.mark.network
def test_every_zip_bundles_the_same_config(built):
    """The viewer-request names variants with its config.json; the generators must accept exactly those, and the
    purge must find them under the same prefix."""
    configs = set()
    for name in ("viewer-request", "origin-response", "regional", "purge"):
        with zipfile.ZipFile(built[0] / f"{name}.zip") as archive:
            configs.add(archive.read("imgedge/config.json"))
    assert len(configs) == 1


REGIONAL_RUN = r"""
import json, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]  # the zip, then boto3 as the Lambda runtime provides it
started = time.perf_counter()
from handlers.regional import handler
imported = time.perf_counter()
with open(sys.argv[3]) as fh:
    result = handler(json.load(fh), None)
print(json.dumps({"result": result, "import_ms": (imported - started) * 1000,
                  "pillow": __import__("PIL").__file__, "version": list(sys.version_info[:2])}))
"""


@pytest.mark.network
def test_regional_zip_renders_a_variant_alone_on_the_runtime_python(built, tmp_path):
    """Unzipped alone on CPython 3.12 with only the stdlib and boto3 beside it, the regional handler answers a
    Function URL event from a local S3 server (moto): renders, stores and returns the variant."""
    import base64
    import io

    from PIL import Image

    from handlers.viewer_request import handler as viewer_handler
    from tests.events import viewer_request
    from tests.regional.events import function_url_event
    from tests.s3servers import run_moto_server

    python, runtime = _unpacked_on_runtime(built[0] / "regional.zip", tmp_path)
    uri = viewer_handler(viewer_request("/photos/cat.jpg", "w=600&fmt=avif"), None)["uri"]
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(function_url_event("GET", uri)))
    original = photo("lake-boats-4mp.jpg")

    with run_moto_server(tmp_path) as server:
        client = server.client()
        client.create_bucket(Bucket="imgedge-regional-test")
        client.put_object(Bucket="imgedge-regional-test", Key="photos/cat.jpg", Body=original,
                          ContentType="image/jpeg")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **server.env(),
               "IMGEDGE_BUCKET": "imgedge-regional-test"}
        completed = subprocess.run([python, "-I", "-S", "-c", REGIONAL_RUN, str(tmp_path / "fn"), str(runtime),
                                    str(event_path)], capture_output=True, text=True, env=env, cwd=tmp_path,
                                   timeout=120)
        assert completed.returncode == 0, completed.stderr
        stored = client.get_object(Bucket="imgedge-regional-test", Key=uri.lstrip("/"))["Body"].read()
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["version"] == [3, 12] and report["pillow"].startswith(str(tmp_path / "fn"))
    result = report["result"]
    assert result["statusCode"] == 200 and result["isBase64Encoded"] is True
    assert result["headers"]["Content-Type"] == "image/avif"
    body = base64.b64decode(result["body"])
    assert body == stored and Image.open(io.BytesIO(body)).size == (640, 400)


@pytest.mark.network
def test_coldstart_tool_measures_every_built_function(built):
    """``python -m tooling.coldstart`` (the numbers in docs/deploy.md) runs on what make package builds."""
    from tooling.coldstart import find_python

    if find_python("3.12") is None:
        pytest.skip("no python3.12 here")
    done = subprocess.run([sys.executable, "-m", "tooling.coldstart", "--build", str(built[0]), "--runs", "1"],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    for row in ("viewer-request", "origin-response", "regional ", "regional (LWA)", "init + first call"):
        assert row in done.stdout, done.stdout
    assert not (built[0] / "regional" / "imgedge" / "regional" / "wsgi.py").exists()  # left as built


# -- the purge function's zip (both modes) -----------------------------------------------------------------


@pytest.mark.network
def test_purge_zip_contents(built):
    out, stdout = built
    assert "building purge (x86_64): no wheels" in stdout
    names = zip_names(out / "purge.zip")
    assert {n.split("/")[0] for n in names} == {"handlers", "imgedge"}  # no wheels: boto3 is the runtime's
    for needed in ("handlers/purge.py", "handlers/__init__.py", "imgedge/purge.py", "imgedge/store/s3.py",
                   "imgedge/request/paths.py", "imgedge/config.py", "imgedge/config.json"):
        assert needed in names, needed
    for left_out in ("imgedge/core/", "imgedge/local/", "tooling/", "imgedge/regional/", "imgedge/cli/",
                     "imgedge/warm.py", "handlers/viewer_request.py", "handlers/origin_response.py",
                     "handlers/regional.py"):
        assert not [n for n in names if n.startswith(left_out)], left_out
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert (out / "purge.zip").stat().st_size < bundle.MB


PURGE_RUN = r"""
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]  # the zip, then boto3 as the Lambda runtime provides it
from handlers.purge import handler
summaries = [handler(json.loads(line), None) for line in open(sys.argv[3])]
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"PIL", "numpy", "user_agents"})
print(json.dumps({"summaries": summaries, "heavy": heavy, "purge": __import__("imgedge.purge").purge.__file__,
                  "version": list(sys.version_info[:2])}))
"""


@pytest.mark.network
def test_purge_zip_purges_alone_on_the_runtime_python(built, tmp_path):
    """Unzipped alone on CPython 3.12 with only the stdlib and boto3 beside it, the purge handler answers S3
    notifications from a local S3 server (moto): an overwritten original loses its variants, the notification
    of its own deletions changes nothing."""
    from tests.purge.events import encoded_key, s3_event
    from tests.s3servers import run_moto_server

    python, runtime = _unpacked_on_runtime(built[0] / "purge.zip", tmp_path)
    original = "photos/summer holiday/cat+1.jpg"
    variants = [f"_variants/{original}/w320-q60.avif", f"_variants/{original}/w640-q80.webp"]
    kept = ["photos/other.jpg", "_variants/photos/other.jpg/w320-q60.avif"]
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(s3_event("imgedge-purge-test", encoded_key(key), name)) + "\n" for key, name in
                              [(original, "ObjectCreated:Put"), (variants[0], "ObjectRemoved:Delete")]))

    with run_moto_server(tmp_path) as server:
        client = server.client()
        client.create_bucket(Bucket="imgedge-purge-test")
        for key in [original, *variants, *kept]:
            client.put_object(Bucket="imgedge-purge-test", Key=key, Body=b"x")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **server.env(), "INVALIDATE": "never"}
        completed = subprocess.run([python, "-I", "-S", "-c", PURGE_RUN, str(tmp_path / "fn"), str(runtime),
                                    str(events)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert completed.returncode == 0, completed.stderr
        left = sorted(o["Key"] for o in client.list_objects_v2(Bucket="imgedge-purge-test").get("Contents", []))
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["version"] == [3, 12] and report["heavy"] == []
    assert report["purge"].startswith(str(tmp_path / "fn"))
    purged, own_deletion = report["summaries"]
    assert purged["originals"] == [original] and purged["deleted"] == 2
    assert own_deletion["deleted"] == 0 and own_deletion["paths"] == [] and own_deletion["originals"] == []
    assert left == sorted([original, *kept])
