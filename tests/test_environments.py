"""The environment files agree with each other and with pyproject.toml (fast; nothing installed).

`./book test-env NAME` installs tests/environments/NAME.txt and runs every notebook in it;
these checks make sure the files say what the book claims: the minimum environment pins
exactly pyproject's floors, the Colab file names its source, and requirements.txt
chooses a TensorFlow that exists on each platform.
"""

from __future__ import annotations

import re

import pytest
import tomllib
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from book_layout import ROOT

ENVIRONMENTS = ROOT / "tests" / "environments"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _requirements(path) -> dict[str, Requirement]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            found.setdefault(canonicalize_name(requirement.name), requirement)
    return found


def _floors() -> dict[str, str]:
    """{package: floor} for every dependency and extra in pyproject.toml."""
    declared = PYPROJECT["dependencies"] + [r for extra in PYPROJECT["optional-dependencies"].values() for r in extra]
    floors = {}
    for text in declared:
        requirement = Requirement(text)
        (floor,) = [s.version for s in requirement.specifier if s.operator == ">="]
        floors[canonicalize_name(requirement.name)] = floor
    return floors


@pytest.mark.parametrize("name", ["colab", "minimum", "latest"])
def test_environment_file_names_its_python(name):
    text = (ENVIRONMENTS / f"{name}.txt").read_text(encoding="utf-8")
    assert re.search(r"^# python: 3\.\d+$", text, re.M), f"{name}.txt needs a '# python: X.Y' line"
    for package in ("torch", "tensorflow", "keras", "numpy", "ipywidgets", "nbval", "pytest"):
        assert canonicalize_name(package) in _requirements(ENVIRONMENTS / f"{name}.txt"), (name, package)


def test_minimum_environment_pins_exactly_the_floors_of_pyproject():
    pins = _requirements(ENVIRONMENTS / "minimum.txt")
    for package, floor in _floors().items():
        assert package in pins, f"minimum.txt does not install {package}"
        (pin,) = pins[package].specifier
        assert pin.operator == "==" and Version(pin.version) == Version(floor), (
            f"{package}: pyproject.toml's floor is {floor}, minimum.txt installs {pins[package].specifier}"
        )


def test_minimum_environment_uses_the_oldest_python_pyproject_allows():
    text = (ENVIRONMENTS / "minimum.txt").read_text(encoding="utf-8")
    python = re.search(r"^# python: (\S+)$", text, re.M).group(1)
    allowed = SpecifierSet(PYPROJECT["requires-python"])
    assert f"{python}.99" in allowed, f"minimum.txt's Python {python} is outside requires-python"
    older = f"{python.split('.')[0]}.{int(python.split('.')[1]) - 1}.99"
    assert older not in allowed, f"requires-python allows {older}, older than the minimum environment's Python"


def test_requires_python_excludes_releases_without_tarfile_filters():
    allowed = SpecifierSet(PYPROJECT["requires-python"])
    for version in ("3.11.4", "3.12.0", "3.13.0"):
        assert version in allowed, version
    for version in ("3.10.13", "3.11.0", "3.11.3"):
        assert version not in allowed, version


def test_colab_file_names_its_source_and_pins_colabs_frameworks():
    text = (ENVIRONMENTS / "colab.txt").read_text(encoding="utf-8")
    assert "googlecolab/backend-info" in text and re.search(r"commit [0-9a-f]{40} \(\d{4}-\d\d-\d\d\)", text)
    pins = _requirements(ENVIRONMENTS / "colab.txt")
    for package in ("torch", "torchvision", "tensorflow", "keras", "numpy", "pandas", "scikit-learn", "ipywidgets"):
        assert str(pins[package].specifier).startswith("=="), f"colab.txt must pin {package}"


def test_colab_file_is_what_the_generator_writes():
    """The generator is the only author of colab.txt: re-render it from the file's own pins."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("colab_from_freeze", ENVIRONMENTS / "colab_from_freeze.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ENVIRONMENTS / "colab.txt").read_text(encoding="utf-8")
    commit, date = re.search(r"commit ([0-9a-f]{40}) \((\S+)\)", text).groups()
    python = re.search(r"^# python: (\S+)$", text, re.M).group(1)
    freeze = module.read_freeze(text)
    assert module.render(freeze, commit, date, python) == text


@pytest.mark.parametrize(
    ("platform", "machine", "tensorflow"),
    [("linux", "x86_64", "tensorflow-cpu"), ("win32", "AMD64", "tensorflow-cpu"), ("linux", "aarch64", "tensorflow"),
     ("darwin", "arm64", "tensorflow"), ("darwin", "x86_64", "tensorflow")],
)
def test_requirements_choose_a_tensorflow_published_for_each_platform(platform, machine, tensorflow):
    system = {"linux": "Linux", "win32": "Windows"}.get(platform, "Darwin")
    environment = default_environment() | {"sys_platform": platform, "platform_machine": machine,
                                           "platform_system": system}
    chosen = []
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and line.startswith("tensorflow"):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                chosen.append(requirement.name)
    assert chosen == [tensorflow], chosen
