"""The static explorers work in a real browser: moving a control swaps the figure.

Chromium (headless, driven by Playwright) opens the built activation-functions page and
moves its sliders and menus, just as a reader of the static site would; no kernel and no
server-side code is involved. A second test checks the same mechanism on a page made
directly from ``helpers.widgets.explore``, without building the site.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers.widgets import explore

PAGE = "notebooks/02-activation-functions.html"


def frame_of(explorer):
    """The explorer's current picture (its data: URL) once the browser has decoded it."""
    image = explorer.locator("img.dlbook-explorer-frame")
    image.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=5_000
    )
    return image.get_attribute("src")


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


def test_activation_page_explorers_respond_to_their_controls(site_url, page):
    page.goto(f"{site_url}/{PAGE}")
    page.wait_for_load_state("load")

    explorers = page.locator("div.dlbook-explorer")
    assert explorers.count() == 2, "the chapter has two explorers: activations and softmax"
    # The site must show the static view, not an (empty) ipywidgets view.
    assert page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count() == 0

    # 1. Activation explorer: a menu of functions and an alpha slider.
    activations = explorers.nth(0)
    menu = activations.locator("select")
    slider = activations.locator('input[type="range"]')
    assert menu.is_visible() and slider.is_visible()
    start = frame_of(activations)

    menu.select_option(label="leaky_relu")
    leaky = frame_of(activations)
    assert leaky != start, "choosing another function must change the figure"
    assert "leaky_relu" in activations.locator("img").get_attribute("alt")

    slider.focus()
    page.keyboard.press("ArrowRight")  # alpha 0.01 -> 0.1
    assert activations.locator("output").text_content() == "0.1"
    assert frame_of(activations) != leaky, "moving the alpha slider must change the figure"

    # 2. Softmax explorer: drag the temperature slider to its far end.
    softmax = explorers.nth(1)
    temperature = softmax.locator('input[type="range"]')
    before = frame_of(softmax)
    drag_to(temperature, int(temperature.get_attribute("max")))
    assert softmax.locator("output").text_content() == "4"
    assert frame_of(softmax) != before, "moving the temperature slider must change the figure"

    assert page.console_errors == [], page.console_errors


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
