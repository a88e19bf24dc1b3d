"""The import contract of ``make lint``: every module has a layer, and an upward import fails it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "django_otp"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="lint-imports (import-linter, dev extra) is not installed"
)


def _contracts() -> list[dict]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]["contracts"]


def _layer_modules() -> set[str]:
    layers = next(c for c in _contracts() if c["name"] == "Layers point one way")["layers"]
    return {name.strip() for layer in layers for name in layer.split(":")}


def _package_modules() -> list[str]:
    """Every module of the package except plugin migrations (the plugin contract has them)."""
    modules = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules.append(".".join(parts))
    return modules


def test_every_module_has_a_layer() -> None:
    layers = _layer_modules()
    plugins = [p.name for p in (PACKAGE / "plugins").iterdir() if (p / "__init__.py").exists()]
    packages = {
        "django_otp",
        "django_otp.plugins",
        "django_otp.contrib",
        "django_otp.contrib.remember",
        "django_otp.contrib.limits",
        "django_otp.signin",
        *(f"django_otp.plugins.{p}" for p in plugins),
    }
    missing = [
        module
        for module in _package_modules()
        if module not in packages
        and not any(module == layer or module.startswith(f"{layer}.") for layer in layers)
    ]
    assert missing == []


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE, tmp_path / "django_otp", ignore=shutil.ignore_patterns("locale"))
    return tmp_path


def _append(module: Path, source: str) -> None:
    with open(module, "a") as f:
        f.write(f"\n\n{source}\n")


def test_the_package_keeps_its_contracts(package_copy: Path) -> None:
    result = _lint(package_copy)
    assert result.returncode == 0, result.stdout


def test_an_upward_import_inside_a_function_breaks_the_layers(package_copy: Path) -> None:
    _append(
        package_copy / "django_otp" / "models.py",
        "def _probe():\n    from django_otp import forms  # noqa: F401",
    )
    result = _lint(package_copy)
    assert result.returncode != 0
    assert "Layers point one way BROKEN" in result.stdout
    assert "django_otp.models is not allowed to import django_otp.forms" in result.stdout


def test_importing_the_package_root_from_below_breaks_the_root_contract(
    package_copy: Path,
) -> None:
    _append(
        package_copy / "django_otp" / "verification.py",
        "def _probe():\n    from django_otp import devices_for_user  # noqa: F401",
    )
    result = _lint(package_copy)
    assert "Below the flows, nothing imports the package root BROKEN" in result.stdout


def test_plugins_importing_each_other_break_independence(package_copy: Path) -> None:
    _append(
        package_copy / "django_otp" / "plugins" / "otp_totp" / "models.py",
        "def _probe():\n    from django_otp.plugins.otp_hotp import models  # noqa: F401",
    )
    result = _lint(package_copy)
    assert "Plugins never import each other BROKEN" in result.stdout
