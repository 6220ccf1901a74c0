"""The explorer's live side in a real Jupyter kernel of the environment under test.

`./book test` runs this with the pinned ipywidgets (8); `./book test-env colab` runs it
with Colab's ipywidgets 7.7.1 and ipykernel 6. A kernel is started with nbclient, the
explorer is displayed (the widget view must be offered next to the static HTML), a
control is changed, and the picture must change; nbclient, playing the front end,
must have received the widgets' models over the comm channel.
"""

from __future__ import annotations

import base64
import json
import sys

import nbformat
import pytest
from nbclient import NotebookClient

PNG = b"\x89PNG\r\n\x1a\n"

CELLS = [
    """
import matplotlib.pyplot as plt
import numpy as np
import ipywidgets
from helpers.widgets import explore

def draw(shape, slope):
    x = np.linspace(-2, 2, 50)
    y = slope * (np.abs(x) if shape == "abs" else x)
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(x, y)
    ax.set_title(f"{shape}, slope {slope:g}")
    return fig

explorer = explore(draw, shape=["line", "abs"], slope=[0.5, 1.0, 2.0])
print("ipywidgets", ipywidgets.__version__)
explorer
""",
    """
view = explorer.widget()
(menu, slider), image = view.children[0].children, view.children[1]
pictures = [image.value]
slider.value = 2.0
pictures.append(image.value)
menu.value = "abs"
pictures.append(image.value)
assert all(p[:8] == b"\\x89PNG\\r\\n\\x1a\\n" for p in pictures), "not PNG pictures"
assert len(set(pictures)) == 3, "a control changed but the picture did not"
print("pictures", [len(p) for p in pictures])
view
""",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source.strip()) for source in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # run outside the repository, so the kernel imports the installed helpers
    client = NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(tmp_path_factory.mktemp("kernel"))}})
    # the kernel of the running interpreter, i.e. of the environment under test
    client.kernel_manager_class = _current_interpreter_kernel_manager()
    client.execute()
    return nb


def _current_interpreter_kernel_manager():
    from jupyter_client.manager import KernelManager

    class CurrentInterpreter(KernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            return [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file]

    return CurrentInterpreter


def _outputs(cell) -> list:
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert not errors, "\n".join(errors[0].traceback)
    return cell.outputs


def test_displayed_explorer_offers_the_live_widget_and_the_static_html(executed):
    outputs = _outputs(executed.cells[0])
    shown = [o for o in outputs if o.output_type == "execute_result"]
    assert shown, outputs
    data = shown[0].data
    assert "application/vnd.jupyter.widget-view+json" in data and "text/html" in data
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"]


def test_changing_a_control_gives_a_new_picture(executed):
    outputs = _outputs(executed.cells[1])
    assert any("pictures" in "".join(o.get("text", "")) for o in outputs), outputs


def test_the_front_end_received_the_widget_models(executed):
    state = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    models = {model["model_name"] for model in state.values()}
    assert {"SelectionSliderModel", "DropdownModel", "ImageModel", "VBoxModel"} <= models, models
    images = [m for m in state.values() if m["model_name"] == "ImageModel"]
    values = [m["state"].get("value") for m in images]
    assert any(isinstance(v, str) and base64.b64decode(v)[:8] == PNG for v in values) or any(
        m.get("buffers") for m in images
    ), json.dumps(images)[:2000]
