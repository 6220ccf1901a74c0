"""Unit tests for helpers.widgets: the explorer's static HTML, live widget and error messages."""

from __future__ import annotations

import base64
import json
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import widgets
from helpers.widgets import Explorer, ExplorerError, explore

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def draw_line(slope, style="solid"):
    """A tiny figure that depends on both controls."""
    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=50)
    x = np.linspace(-1, 1, 11)
    ax.plot(x, slope * x, linestyle=style)
    ax.set_title(f"slope {slope}")
    return fig


def draw_ignoring_style(slope, style):
    """Same picture for every style: the explorer should store each picture once."""
    return draw_line(slope)


def payload(html: str) -> dict:
    """The explorer's data block, with the frames (base64 PNG) read from their own block."""
    match = re.search(r'<script type="application/json" class="dlbook-explorer-data">(.*?)</script>', html)
    assert match, "no data block in the explorer's HTML"
    data = json.loads(match.group(1))
    frames = re.search(r'<script type="text/plain" class="dlbook-explorer-frames">(.*?)</script>', html, re.S)
    assert frames, "no frames block in the explorer's HTML"
    data["frames"] = [re.sub(r"\s+", "", frame) for frame in frames.group(1).split("*")]
    return data


def test_explore_returns_an_explorer_with_one_frame_per_combination():
    explorer = explore(draw_line, slope=[0.5, 1, 2], style=["solid", "dashed"])
    assert isinstance(explorer, Explorer)
    assert explorer.shape == (3, 2)
    assert explorer.n_combinations == 6
    assert explorer.combinations()[:2] == [{"slope": 0.5, "style": "solid"}, {"slope": 0.5, "style": "dashed"}]
    data = payload(explorer.to_html())
    assert data["names"] == ["slope", "style"]
    assert data["sizes"] == [3, 2]
    assert data["labels"] == [["0.5", "1", "2"], ["solid", "dashed"]]
    assert len(data["index"]) == 6
    assert len(data["frames"]) == 6
    for frame in data["frames"]:
        assert base64.b64decode(frame).startswith(PNG_MAGIC)


def test_static_html_has_a_slider_for_numbers_and_a_menu_for_strings():
    html = explore(draw_line, slope=[0.5, 1, 2], style=["solid", "dashed"]).to_html()
    assert re.search(r'<input type="range" data-control="0" min="0" max="2" step="1" value="0"', html)
    assert '<select data-control="1"' in html
    assert '<option value="1">dashed</option>' in html
    assert '<img class="dlbook-explorer-frame"' in html and 'src="data:image/png;base64,' in html
    assert "document.currentScript" in html  # the client-side script finds its own explorer


def test_html_has_only_short_lines():
    # nbval's sanitizer regexes and diff tools can take quadratic time on one long line
    # (a 120 kB one-line output made a single nbval comparison run for minutes).
    html = explore(draw_line, slope=[0.5, 1, 2], style=["solid", "dashed"]).to_html()
    assert len(html) > 5_000
    assert max(len(line) for line in html.splitlines()) < 1_000


def test_frames_property_matches_the_html():
    explorer = explore(draw_line, slope=[1, 2])
    assert payload(explorer.to_html())["frames"] == explorer.frames


def test_identical_frames_are_stored_once():
    explorer = explore(draw_ignoring_style, slope=[1, 2], style=["a", "b", "c"])
    data = payload(explorer.to_html())
    assert len(data["frames"]) == 2
    assert data["index"] == [0, 0, 0, 1, 1, 1]


def test_html_is_deterministic_so_nbval_can_compare_it():
    first = explore(draw_line, slope=[1, 2], style=["solid"]).to_html()
    second = explore(draw_line, slope=[1, 2], style=["solid"]).to_html()
    assert first == second


def test_drawing_leaves_no_open_figures():
    before = set(plt.get_fignums())
    explore(draw_line, slope=[1, 2, 3]).to_html()
    assert set(plt.get_fignums()) == before


def test_values_are_escaped_in_html_and_script():
    html = explore(lambda label: draw_line(1), label=["</script><b>x</b>", "a&b"]).to_html()
    assert "<b>x</b>" not in html
    assert "&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in html  # the <option> text
    assert payload(html)["labels"] == [["</script><b>x</b>", "a&b"]]


def test_numpy_values_are_accepted():
    explorer = explore(draw_line, slope=np.array([0.5, 1.5]))
    assert explorer.controls["slope"] == (0.5, 1.5)
    assert all(type(v) is float for v in explorer.controls["slope"])


def test_mimebundle_outside_a_kernel_is_static_html_and_text():
    bundle = explore(draw_line, slope=[1, 2])._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert bundle["text/plain"] == "<Explorer of draw_line() over slope: 2 values>"


def test_mimebundle_in_a_kernel_adds_the_live_widget(monkeypatch):
    monkeypatch.setattr(widgets, "_in_kernel", lambda: True)
    bundle = explore(draw_line, slope=[1, 2], style=["solid", "dashed"])._repr_mimebundle_()
    assert set(bundle) == {"application/vnd.jupyter.widget-view+json", "text/html", "text/plain"}
    assert "model_id" in bundle["application/vnd.jupyter.widget-view+json"]
    assert bundle["text/plain"].startswith("<Explorer of draw_line()")


def test_live_widget_redraws_when_a_control_moves():
    import ipywidgets

    box = explore(draw_line, slope=[1, 2], style=["solid", "dashed"]).widget()
    controls, image = box.children
    slider, menu = controls.children
    assert isinstance(slider, ipywidgets.SelectionSlider) and slider.value == 1
    assert isinstance(menu, ipywidgets.Dropdown) and menu.options == ("solid", "dashed")
    first = bytes(image.value)
    assert first.startswith(PNG_MAGIC)
    slider.value = 2
    assert bytes(image.value) != first
    after_slider = bytes(image.value)
    menu.value = "dashed"
    assert bytes(image.value) != after_slider
    assert not plt.get_fignums()


@pytest.mark.parametrize(
    "controls, message",
    [
        ({}, "at least one control"),
        ({"slope": []}, "has no values"),
        ({"slope": "abc"}, "must be a list of values"),
        ({"slope": 3}, "must be a list of values"),
        ({"slope": [1, "two"]}, "only numbers"),
        ({"slope": [True, False]}, "only numbers"),
        ({"slope": [1, float("nan")]}, "not a finite number"),
        ({"slope": [1, 1]}, "repeats a value"),
        ({"a": range(8), "b": range(8)}, "64 combinations, more than the 60 frames"),
    ],
)
def test_bad_controls_get_clear_errors(controls, message):
    with pytest.raises(ExplorerError, match=message):
        explore(draw_line, **controls)


def test_explorer_error_is_a_value_error():
    assert issubclass(ExplorerError, ValueError)


def test_draw_must_be_callable():
    with pytest.raises(TypeError, match="draw must be a function"):
        explore("not a function", slope=[1])


def test_draw_must_return_a_figure_and_leaves_no_figure_behind():
    def draw_axes(slope):
        _, ax = plt.subplots()
        return ax  # a common slip: returning the Axes

    before = set(plt.get_fignums())
    with pytest.raises(TypeError, match=r"draw\(slope=1\) returned Axes, not a matplotlib Figure"):
        explore(draw_axes, slope=[1, 2]).to_html()
    assert set(plt.get_fignums()) == before


def test_errors_inside_draw_propagate_and_close_its_figures():
    def draw_broken(slope):
        plt.figure()
        raise RuntimeError("boom")

    before = set(plt.get_fignums())
    with pytest.raises(RuntimeError, match="boom"):
        explore(draw_broken, slope=[1]).to_html()
    assert set(plt.get_fignums()) == before


def test_too_large_html_is_refused():
    explorer = Explorer(draw_line, {"slope": [1, 2, 3]}, max_html_bytes=1_000)
    with pytest.raises(ExplorerError, match="more than 1,000"):
        explorer.to_html()


def test_limits_can_be_raised_explicitly():
    explorer = Explorer(draw_line, {"slope": list(range(70))}, max_frames=70)
    assert explorer.n_combinations == 70


def test_controls_may_share_names_with_the_explorers_own_arguments():
    def draw(dpi, self):
        return draw_line(dpi)

    explorer = explore(draw, dpi=[1, 2], self=["x"])
    assert len(explorer.frames) == 2
