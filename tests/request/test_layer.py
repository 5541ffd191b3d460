"""The request layer stands alone: standard library only (it is what the viewer-request zip ships), and the
viewer zip's inclusion list holds everything the viewer handler imports."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from tooling import bundle

REPO = Path(__file__).resolve().parents[2]
LAYER = REPO / "imgedge" / "request"
#: What the layer may import from the rest of imgedge: the config it reads, the errors it raises, and the
#: device classifier it re-exports.
OUTSIDE = {"config", "errors", "device"}


def test_the_layer_imports_only_the_standard_library():
    for path in sorted(LAYER.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = {alias.name.split(".")[0] for alias in node.names}
                assert tops <= sys.stdlib_module_names, (path.name, tops)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                assert node.module.split(".")[0] in sys.stdlib_module_names | {"__future__"}, (path.name, node.module)
            elif isinstance(node, ast.ImportFrom) and node.level == 2:
                assert (node.module or "").split(".")[0] in OUTSIDE, (path.name, node.module)


def test_importing_every_module_loads_no_pillow_numpy_or_boto3():
    modules = sorted(f"imgedge.request.{p.stem}" for p in LAYER.glob("*.py") if p.stem != "__init__")
    code = (f"import importlib, sys; [importlib.import_module(m) for m in {modules!r}]; "
            "print(sorted(m for m in ('PIL', 'numpy', 'boto3', 'botocore', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_viewer_zip_is_the_layer_and_the_viewer_handler(tmp_path):
    """Stage the viewer's project files alone and run its handler from them: every module it imports is in
    the stage, and nothing else of imgedge is."""
    viewer = bundle.BUNDLES["viewer-request"]
    bundle.copy_project(viewer, tmp_path, b"{}\n")
    staged = {p.relative_to(tmp_path / "imgedge").as_posix() for p in (tmp_path / "imgedge").rglob("*.py")}
    assert {f"request/{p.name}" for p in LAYER.glob("*.py")} <= staged
    event = (REPO / "fixtures" / "cf-events" / "viewer-request-iphone-safari.json").read_text()
    code = ("import json, sys; from handlers.viewer_request import handler; "
            f"result = handler(json.loads({event!r}), None); "
            "print(json.dumps([result.get('uri'), sorted(m.__file__ for n, m in sys.modules.items() "
            "if n.split('.')[0] == 'imgedge' and getattr(m, '__file__', None))]))")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "IMGEDGE_CONFIG")}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    uri, files = json.loads(out.stdout)
    assert uri.startswith("/_variants/")
    used = {Path(f).resolve().relative_to((tmp_path / "imgedge").resolve()).as_posix() for f in files}
    assert used <= staged
    assert staged - used <= {f"request/{p.name}" for p in LAYER.glob("*.py")}, "staged but never imported"
