"""A non-editable install works: build the wheel, install it into a temporary target, and from
another directory load the lexicons through the installed package (not the checkout)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Building and installing takes a few seconds; a hung pip must not hang the suite.
PIP_TIMEOUT_S = 300
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")


def _data_files(folder: Path) -> set[str]:
    """Files under `folder` that must ship (relative paths), bytecode caches excluded."""
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def _pip(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args, "--no-deps", "--no-index", "--disable-pip-version-check", "-q"],
        cwd=cwd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from a copy of the checkout, installed with `pip install --target`."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    source.mkdir()
    readme = PYPROJECT["project"]["readme"]
    if not (ROOT / readme).is_file():
        pytest.fail(f"pyproject.toml names {readme} as the readme but it is missing: no wheel can be built")
    for name in ("pyproject.toml", readme):
        shutil.copy2(ROOT / name, source / name)
    for folder in sorted(set(PYPROJECT["tool"]["setuptools"]["package-dir"].values())):
        shutil.copytree(ROOT / folder, source / folder, ignore=_IGNORED)
    _pip("wheel", "--no-build-isolation", "--wheel-dir", str(work / "wheels"), str(source), cwd=work)
    (wheel,) = (work / "wheels").glob("sentiment-*.whl")
    target = work / "target"
    _pip("install", "--target", str(target), str(wheel), cwd=work)
    return target


def _run_installed(target: Path, code: str, *args: str) -> subprocess.CompletedProcess:
    """Python without the site module (so the editable install's path hook is not loaded), with
    only the target and the environment's site-packages (for dependencies) on the path, run from
    an unrelated folder."""
    elsewhere = target.parent / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    site_packages = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "SENTIMENT_"))
    }
    env["PYTHONPATH"] = os.pathsep.join([str(target), *sorted(site_packages)])
    return subprocess.run(
        [sys.executable, "-S", "-c", code, *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120
    )


PROBE = """
import json, sys
import sentiment
from sentiment.resources import lexicons_dir, models_dir
from sentiment import ResourceError, get_analyzer
def files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
try:
    models = files(models_dir())
except ResourceError:  # no model shipped yet: nothing to find
    models = []
analysis = get_analyzer("lexicon").analyze("The battery life is great, but the screen scratches easily.", modes=list(sentiment.Mode))
# Every registered analyzer builds from the installed copy alone and serves its modes (a
# sub-package or model file missing from the wheel shows up here).
served = {}
for name, spec in sentiment.available_analyzers().items():
    modes = sorted(m.value for m in spec.modes)
    if name == "transformer":  # ships no checkpoint: it must say how to pass one
        try:
            get_analyzer(name)
        except ResourceError as error:
            assert "path=" in str(error), error
        else:
            raise AssertionError("the transformer analyzer built without a checkpoint")
    else:
        get_analyzer(name).analyze("Great battery.", modes=modes)
    served[name] = modes
print(json.dumps({
    "module": sentiment.__file__,
    "lexicons": str(lexicons_dir()),
    "lexicon_files": files(lexicons_dir()),
    "models_files": models,
    "label": analysis.polarity.label,
    "aspects": [a.term for a in analysis.aspects],
    "served": served,
}))
"""


def test_the_installed_package_is_the_one_imported_and_ships_every_lexicon_file(installed):
    done = _run_installed(installed, PROBE)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["module"]).is_relative_to(installed)
    assert Path(found["lexicons"]).is_relative_to(installed)
    shipped = {name for name in found["lexicon_files"] if not name.endswith((".py", ".pyc"))}
    assert shipped == _data_files(ROOT / "lexicons") - {"__init__.py"}
    assert _data_files(ROOT / "models") - {"__init__.py"} <= set(found["models_files"])
    assert found["label"] in {"positive", "neutral", "negative"}
    assert any("battery" in term for term in found["aspects"])
    from sentiment import available_analyzers

    assert found["served"] == {name: sorted(m.value for m in spec.modes) for name, spec in available_analyzers().items()}


def test_the_console_script_runs_from_the_installed_package(installed):
    script = installed / "bin" / "sentiment"
    assert script.is_file()
    done = _run_installed(
        installed,
        f"import runpy, sys; sys.argv[0] = 'sentiment'; runpy.run_path({str(script)!r}, run_name='__main__')",
        "analyze", "--text", "Absolutely wonderful service!", "--format", "jsonl",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["polarity"]["label"] == "positive"
