"""The live explorers in a real JupyterLab, driven in headless Chromium.

The static site's sliders are tested in tests/test_browser_widgets.py; this is the other
half, what a reader gets in Jupyter: the pinned ``jupyter lab`` is started on 127.0.0.1
with a token, serving copies of the two chapters with explorers (so autosave cannot
touch the repository). For each, the test runs every cell above the first explorer and
the explorer cell itself, moves the slider (and the drop-down where there is one) the
way a reader does, with the mouse, and asserts that the picture changes and that no
cell produced an error. The server is stopped at the end.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from book_layout import ROOT

pytestmark = pytest.mark.slow

CHAPTERS = {  # notebook: (text that picks its explorer cell, the drop-down choice to make first or None)
    # (chapter 2's α explorer: the α slider changes the picture only for functions that use α)
    "02-activation-functions.ipynb": ("alpha=", "elu"),
    "04-optimizers.ipynb": ("learning_rate=", None),
    "07-attention-transformers.ipynb": ("scale=", None),
}
SLIDER = ".widget-slider .noUi-target"
DROPDOWN = ".widget-dropdown select"
IMAGE = ".widget-image img, img.widget-image"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server on a free localhost port; yields (base URL, token)."""
    root = tmp_path_factory.mktemp("lab")
    # Attach every cell to the page: JupyterLab's default ("contentVisibility") lets the browser skip
    # off-screen cells, which Playwright then reports as never visible.
    settings = root / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    for name in CHAPTERS:
        shutil.copy(ROOT / "notebooks" / name, root / name)
    token, port = secrets.token_hex(16), _free_port()
    log = open(root / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--expose-app-in-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         f"--LabApp.workspaces_dir={root / '.workspaces'}", f"--LabApp.user_settings_dir={root / '.settings'}"],
        cwd=root, stdout=log, stderr=subprocess.STDOUT,
        # the server's own state (cookie secret, config) stays in the temporary folder
        env=os.environ | {"JUPYTER_RUNTIME_DIR": str(root / ".runtime"), "JUPYTER_CONFIG_DIR": str(root / ".config")},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not start:\n{(root / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _explorer_cell(name: str, marker: str) -> int:
    """Index of the first code cell that calls ``explore(`` with ``marker`` in the call."""
    cells = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))["cells"]
    for index, cell in enumerate(cells):
        calls = [line for line in "".join(cell["source"]).splitlines() if "explore(" in line]
        if cell["cell_type"] == "code" and any(marker in line for line in calls):
            return index
    raise AssertionError(f"{name} has no explorer cell whose call contains {marker!r}")


RUN_UP_TO = """async (index) => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  panel.content.activeCellIndex = index;
  await app.commands.execute("notebook:run-all-above");
  panel.content.activeCellIndex = index;
  await app.commands.execute("notebook:run-cell");
}"""

ERRORS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const errors = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== "code") continue;
    for (const output of cell.toJSON().outputs || []) {
      if (output.output_type === "error") errors.push(`cell ${i}: ${output.ename}: ${output.evalue}`);
    }
  }
  return errors;
}"""


def _picture(cell) -> str:
    return cell.locator(IMAGE).first.get_attribute("src") or ""


def _wait_for_new_picture(page, cell, before: str) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        now = _picture(cell)
        if now and now != before:
            return now
        page.wait_for_timeout(250)
    raise AssertionError("the explorer's picture did not change after moving a control")


@pytest.mark.parametrize("name", list(CHAPTERS))
def test_explorer_works_live_in_jupyterlab(jupyterlab, browser, name):
    url, token, root = jupyterlab
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    try:
        # a workspace of its own per notebook, so JupyterLab restores no other notebook's tab
        workspace = name.removesuffix(".ipynb")
        page.goto(f"{url}/lab/workspaces/{workspace}/tree/{name}?token={token}", wait_until="domcontentloaded",
                  timeout=120_000)
        page.wait_for_function(
            "(name) => window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.context"
            " && window.jupyterapp.shell.currentWidget.context.path === name"
            " && window.jupyterapp.shell.currentWidget.content.widgets.length > 0",
            arg=name,
            timeout=120_000,
        )
        marker, choice = CHAPTERS[name]
        index = _explorer_cell(name, marker)
        page.evaluate(RUN_UP_TO, index)
        assert page.evaluate(ERRORS) == [], f"{name}: cells raised in JupyterLab"

        # the restored workspace may keep the previous notebook open in a hidden tab
        cell = page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index)
        cell.scroll_into_view_if_needed()
        cell.locator(IMAGE).first.wait_for(state="visible", timeout=120_000)
        assert cell.locator(".dlbook-explorer").count() == 0, "JupyterLab showed the static twin, not the widget"
        before = _picture(cell)

        if choice is not None:  # choose from the drop-down menu
            menu = cell.locator(DROPDOWN).first
            options = menu.locator("option").all_inner_texts()
            menu.select_option(label=choice if choice in options else options[-1])
            before = _wait_for_new_picture(page, cell, before)

        # drag the slider's handle most of the way to the right, as a reader would
        track = cell.locator(SLIDER).first.bounding_box()
        handle = cell.locator(f"{SLIDER} .noUi-handle").first.bounding_box()
        page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
        page.mouse.down()
        page.mouse.move(track["x"] + track["width"] * 0.8, handle["y"] + handle["height"] / 2, steps=8)
        page.mouse.up()
        _wait_for_new_picture(page, cell, before)

        assert page.evaluate(ERRORS) == [], f"{name}: an error output appeared while using the explorer"
        stderr = cell.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        assert stderr.count() == 0, stderr.first.inner_text()
        widget_errors = [text for text in console if "widget" in text.lower() or "model" in text.lower()]
        assert not widget_errors, widget_errors
        page.screenshot(path=str(root / f"{name}.png"))
    finally:
        context.close()
