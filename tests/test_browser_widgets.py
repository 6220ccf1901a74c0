"""The static explorers work in a real browser: moving a control swaps the figure.

Chromium (headless, driven by Playwright) opens the built pages and moves their sliders
and menus, just as a reader of the static site would; no kernel and no server-side code is
involved. Every explorer of every chapter is checked by the first test (the pages are found
from the notebooks' stored outputs); a chapter's own checks follow it, and a last test
checks the mechanism on a page made directly from ``helpers.widgets.explore``, without
building the site.
"""

from __future__ import annotations

import json
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from book_layout import NOTEBOOKS, read_notebook
from helpers.widgets import explore

pytestmark = pytest.mark.slow


def _explorer_pages() -> dict[str, int]:
    """Every chapter page whose stored outputs hold explorers, with how many it holds."""
    pages = {}
    for path in NOTEBOOKS:
        outputs = [output for cell in read_notebook(path).cells for output in cell.get("outputs", [])]
        count = sum("dlbook-explorer-data" in output.get("data", {}).get("text/html", "") for output in outputs)
        if count:
            pages[f"notebooks/{path.stem}"] = count
    return pages


EXPLORER_PAGES = _explorer_pages()


def frame_of(explorer):
    """The explorer's current picture (its data: URL) once the browser has decoded it."""
    image = explorer.locator("img.dlbook-explorer-frame")
    image.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=5_000
    )
    # the stored page wraps the first data: URL over lines, the script sets one line: compare without them
    return re.sub(r"\s+", "", image.get_attribute("src"))


def drag_to(slider, position: int) -> None:
    """Set a range input the way dragging does: new value, then `input` and `change` events."""
    slider.evaluate(
        """(el, value) => {
            el.value = String(value);
            el.dispatchEvent(new Event("input", {bubbles: true}));
            el.dispatchEvent(new Event("change", {bubbles: true}));
        }""",
        position,
    )


def set_control(control, position: int) -> None:
    """Choose value number ``position`` of a slider or a menu."""
    if control.evaluate("el => el.tagName") == "SELECT":
        control.select_option(value=str(position))
    else:
        drag_to(control, position)


def open_page(page, site_url: str, page_path: str) -> None:
    page.goto(f"{site_url}/{page_path}.html")
    page.wait_for_load_state("load")
    # The site must show the static view, not an (empty) ipywidgets view.
    assert page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count() == 0


def test_explorers_are_found_in_the_chapters():
    assert {"notebooks/02-activation-functions", "notebooks/04-optimizers"} <= set(EXPLORER_PAGES)


@pytest.mark.parametrize("page_path", list(EXPLORER_PAGES))
def test_every_explorer_shows_the_frame_of_the_chosen_values(site_url, page, page_path):
    open_page(page, site_url, page_path)
    explorers = page.locator("div.dlbook-explorer")
    assert explorers.count() == EXPLORER_PAGES[page_path], "every explorer in the notebook is on the page"
    for number in range(explorers.count()):
        explorer = explorers.nth(number)
        data = json.loads(explorer.locator("script.dlbook-explorer-data").text_content())
        frames = explorer.locator("script.dlbook-explorer-frames").text_content().split("*")
        frames = [re.sub(r"\s+", "", frame) for frame in frames]
        controls = explorer.locator("[data-control]")
        positions = [0] * len(data["sizes"])
        shown = set()
        for i, size in enumerate(data["sizes"]):
            for position in [*range(1, size), 0]:  # every value, then back to the first
                set_control(controls.nth(i), position)
                positions[i] = position
                flat = 0
                for chosen, count in zip(positions, data["sizes"]):  # the last control varies fastest
                    flat = flat * count + chosen
                src = frame_of(explorer)
                assert src == "data:image/png;base64," + frames[data["index"][flat]], (page_path, number, positions)
                shown.add(src)
                labels = [data["labels"][j][k] for j, k in enumerate(positions)]
                alt = "figure for " + ", ".join(f"{n}={label}" for n, label in zip(data["names"], labels))
                assert explorer.locator("img").get_attribute("alt") == alt
                value = explorer.locator(f'output[data-for="{i}"]')
                if value.count():
                    assert value.text_content() == labels[i]
        assert len(shown) > 1, f"{page_path}: explorer {number + 1} never changes its picture"
    assert page.console_errors == [], page.console_errors


# --- chapter 2, Activation functions -------------------------------------------------
def test_activation_page_explorers_respond_to_their_controls(site_url, page):
    open_page(page, site_url, "notebooks/02-activation-functions")

    explorers = page.locator("div.dlbook-explorer")
    assert explorers.count() == 3, "the chapter has three explorers: activations, activations with α, softmax"

    # 1. Activation explorer for the functions without a parameter: a menu only.
    plain = explorers.nth(0)
    menu = plain.locator("select")
    assert menu.is_visible() and plain.locator('input[type="range"]').count() == 0
    start = frame_of(plain)
    menu.select_option(label="tanh")
    assert frame_of(plain) != start, "choosing another function must change the figure"
    assert "activation=tanh" in plain.locator("img").get_attribute("alt")

    # 2. Activation explorer for the functions with α: a menu and an α slider.
    activations = explorers.nth(1)
    menu = activations.locator("select")
    slider = activations.locator('input[type="range"]')
    assert menu.is_visible() and slider.is_visible()
    start = frame_of(activations)

    menu.select_option(label="elu")
    elu = frame_of(activations)
    assert elu != start, "choosing another function must change the figure"
    assert "activation=elu," in activations.locator("img").get_attribute("alt")

    slider.focus()
    page.keyboard.press("ArrowRight")  # alpha 0.01 -> 0.1
    assert activations.locator("output").text_content() == "0.1"
    assert frame_of(activations) != elu, "moving the alpha slider must change the figure"

    # 3. Softmax explorer: drag the temperature slider to its far end.
    softmax = explorers.nth(2)
    temperature = softmax.locator('input[type="range"]')
    before = frame_of(softmax)
    drag_to(temperature, int(temperature.get_attribute("max")))
    assert softmax.locator("output").text_content() == "4"
    assert frame_of(softmax) != before, "moving the temperature slider must change the figure"

    assert page.console_errors == [], page.console_errors


# --- an explorer made here, without the site ----------------------------------------
def _draw(freq, colour):
    fig, ax = plt.subplots(figsize=(2.5, 1.6), dpi=50)
    x = np.linspace(0, 1, 50)
    ax.plot(x, np.sin(2 * np.pi * freq * x), color=colour)
    ax.set_title(f"frequency {freq}")
    return fig


@pytest.mark.parametrize("use_keyboard", [True, False])
def test_explorer_html_works_without_a_site_build(page, use_keyboard):
    html = explore(_draw, freq=[1, 2, 3], colour=["C0", "C3"]).to_html()
    page.set_content(f"<!doctype html><html><body>{html}</body></html>")
    explorer = page.locator("div.dlbook-explorer")
    slider = explorer.locator('input[type="range"]')
    seen = {frame_of(explorer)}

    for position in (1, 2):
        if use_keyboard:
            slider.focus()
            page.keyboard.press("ArrowRight")
        else:
            drag_to(slider, position)
        seen.add(frame_of(explorer))
        assert explorer.locator("output").text_content() == str(position + 1)
    explorer.locator("select").select_option(label="C3")
    seen.add(frame_of(explorer))

    assert len(seen) == 4, "every move must show a different picture"
    assert explorer.locator("img").get_attribute("alt") == "figure for freq=3, colour=C3"
    assert page.console_errors == [], page.console_errors


def test_attention_page_explorer_moves_its_figure(site_url, page):
    """Chapter 7: dragging the scale slider of the attention explorer swaps its figure."""
    path = "notebooks/07-attention-transformers"
    assert path in EXPLORER_PAGES, "the attention chapter's stored outputs hold its explorer"
    open_page(page, site_url, path)
    explorer = page.locator("div.dlbook-explorer").first
    slider = explorer.locator("[data-control]").first
    first, start = frame_of(explorer), int(slider.input_value())  # the explorer opens at its default scale
    drag_to(slider, 0 if start else 6)
    assert frame_of(explorer) != first, "another scale shows another figure"
    drag_to(slider, start)
    assert frame_of(explorer) == first, "going back to the first scale shows the first figure again"
    assert page.console_errors == [], page.console_errors
