"""Fixtures for the offline deployment checks: the SAM template, its CloudFormation translation, built zips."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path

import pytest

from imgedge.local.template import resolve_conditions
from tooling.template import TEMPLATE_PATH, load_template, translate

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def _sam_template() -> dict:
    return load_template(TEMPLATE_PATH)


@pytest.fixture
def sam_template(_sam_template) -> dict:
    """A fresh copy of template.yaml, safe to mutate."""
    return copy.deepcopy(_sam_template)


@pytest.fixture(scope="session")
def translated(_sam_template) -> dict:
    """The CloudFormation of the default deployment (Mode=edge, its conditions resolved): what the edge-mode
    tests inspect. tests/deploy/test_regional_template.py inspects Mode=regional."""
    default = _sam_template["Parameters"]["Mode"]["Default"]
    return resolve_conditions(translate(_sam_template, {"Mode": default}), {"Mode": default})


@pytest.fixture(scope="session")
def translated_regional(_sam_template) -> dict:
    """The CloudFormation of a Mode=regional deployment, its Mode conditions resolved."""
    return resolve_conditions(translate(_sam_template, {"Mode": "regional"}), {"Mode": "regional"})


@pytest.fixture(scope="session")
def package_script():
    """scripts/package.py as a module."""
    spec = importlib.util.spec_from_file_location("imgedge_package_script", REPO_ROOT / "scripts" / "package.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
