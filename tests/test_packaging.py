"""The project builds without the build backend's deprecation warnings.

`make run` and `make test` install the project with pip, which builds it in
an isolated environment with the newest setuptools the build-system table
admits. setuptools 77 deprecated a table as ``project.license`` (a string,
an SPDX expression, replaces it) and says that builds using it stop being
supported after 2027-02-18: a fresh clone would then fail to install. The
metadata is built here with the venv's setuptools, every setuptools
deprecation warning made an error."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _setuptools_version() -> tuple[int, ...]:
    import setuptools

    return tuple(int(p) for p in setuptools.__version__.split(".")[:2])


def test_the_build_system_asks_for_a_setuptools_that_reads_an_spdx_license():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    requires = project["build-system"]["requires"]
    assert "setuptools>=77" in requires, requires
    assert project["project"]["license"] == "MIT"


def test_the_metadata_builds_with_no_setuptools_deprecation(tmp_path):
    if _setuptools_version() < (77,):
        pytest.fail(
            "the test extras install setuptools>=77 (pyproject.toml); "
            "this venv has an older one: reinstall with make install-test"
        )
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    # The package's files are not read to build metadata, but its folder is
    # looked for (tool.setuptools.packages.find).
    (source / "newsroom").mkdir()
    (source / "newsroom" / "__init__.py").write_text("")
    out = tmp_path / "out"
    out.mkdir()
    # (A -W option naming the class is dropped: setuptools is not imported
    # when the interpreter reads its options.)
    code = (
        "import sys, warnings\n"
        "from setuptools import build_meta\n"
        "from setuptools.warnings import SetuptoolsDeprecationWarning\n"
        "warnings.simplefilter('error', SetuptoolsDeprecationWarning)\n"
        "print(build_meta.prepare_metadata_for_build_wheel(sys.argv[1]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    dist_info = out / done.stdout.split()[-1]
    metadata = Parser().parsestr((dist_info / "METADATA").read_text())
    assert metadata["License-Expression"] == "MIT"
    assert metadata["Name"] == "newsroom"
