"""The layers of docs/architecture.md, held against the code: every import of an imgedge module (lazy ones
inside functions included) goes down or sideways, never up; and the README's Layout names the tree."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "imgedge"

#: Layer of each part of the package, bottom up (docs/architecture.md draws the same).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("errors", "deadline", "config", "observability", "device", "device_models", "request",
                    "transport")),
    ("core", ("core",)),
    ("store", ("store",)),
    ("use cases", ("refusals", "generate", "answers", "purge", "warm", "__init__")),
    ("adapters", ("edge", "regional")),
    ("emulator", ("local",)),
    ("command line", ("cli",)),
)
#: What each layer may import, besides itself.
ALLOWED: dict[str, set[str]] = {
    "foundation": set(),
    "core": {"foundation"},
    "store": {"foundation"},
    "use cases": {"foundation", "core", "store"},
    "adapters": {"foundation", "store", "use cases"},
    "emulator": {"foundation", "store", "use cases", "adapters", "core"},
    "command line": {"foundation", "store", "use cases", "adapters", "emulator", "core"},
}
#: Each Lambda adapter stands alone: the regional generator does not run through the Lambda@Edge handlers.
FORBIDDEN_PAIRS = (("regional", "edge.origin_response"), ("regional", "edge.viewer_request"),
                   ("edge", "regional"))


def layer_of(module: str) -> str:
    """The layer of ``imgedge.x.y`` by its first part below the package."""
    first = module.split(".")[1] if "." in module else "__init__"
    for name, parts in LAYERS:
        if first in parts:
            return name
    raise AssertionError(f"{module} is in no layer of docs/architecture.md: add it there and here")


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """The imgedge modules ``path`` imports, anywhere in it (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    seen = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            seen.update(alias.name for alias in node.names if alias.name.startswith("imgedge"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("imgedge"):
                seen.add(target)
                seen.update(f"{target}.{alias.name}" for alias in node.names
                            if f"{target}.{alias.name}" in modules())
    return seen


@pytest.mark.parametrize("name", sorted(modules()))
def test_imports_go_down_the_layers(name):
    path = modules()[name]
    own = layer_of(name)
    for target in imports(name, path):
        other = layer_of(target)
        assert other == own or other in ALLOWED[own], f"{name} ({own}) imports {target} ({other})"
        below = name.split(".", 1)[1] if "." in name else ""
        for low, high in FORBIDDEN_PAIRS:
            assert not (below.startswith(low) and target.startswith(f"imgedge.{high}")), f"{name} imports {target}"


def test_the_architecture_doc_names_every_layer_and_part():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name, parts in LAYERS:
        assert f"**{name}**" in text, name
        for part in parts:
            if part != "__init__":
                assert f"`{part}" in text, part


def test_the_readme_layout_names_the_tree():
    """Every top-level folder of the repository, and every subpackage of imgedge, is in the README's
    Layout block, and nothing there is missing from the tree."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    named = set(re.findall(r"^([\w.-]+/?)\s", block, re.M))
    tracked = {p.name + ("/" if p.is_dir() else "") for p in ROOT.iterdir()
               if not p.name.startswith(".") and p.name not in ("build", "dist", "__pycache__") and
               not p.name.endswith(".egg-info")}
    wanted = {name for name in tracked if name.endswith("/")} | {"template.yaml"}
    assert wanted <= named, sorted(wanted - named)
    assert named <= tracked, sorted(named - tracked)
    subpackages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    for sub in subpackages:
        assert f"{sub}/" in block, sub
