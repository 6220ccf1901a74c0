"""Interactive figures that work in a live kernel *and* on the static site.

Activation functions chapter, "Explore the functions yourself"::

    from helpers.widgets import explore

    def draw(name, alpha):          # returns a matplotlib Figure for one combination
        ...

    explore(draw, name=["relu", "elu"], alpha=[0.01, 0.1, 0.3])

Each keyword names a control and lists its values: numbers become a slider that steps
through exactly those values, strings a drop-down menu; the first value is shown first.

A displayed explorer carries two views. In a running kernel (Jupyter, Colab, Binder) it
is an ipywidgets control that calls ``draw`` on every change. On the book's static site
it is plain HTML: every combination drawn in advance as a small PNG, and a few lines of
JavaScript that swap the picture (the markup and script are the files in
``helpers/explorer/``; ``_config.yml`` tells the site to show this view). A notebook
opened without running it shows "model not found" for the live view, as every ipywidgets
output does; running the cell brings the controls back.

The precomputed frames are deterministic, so nbval compares them. If ``draw`` depends on
something that varies between runs (a training run, a timer), tag the cell
``nbval-ignore-output``.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import itertools
import json
import math
import numbers
import string
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np

MAX_FRAMES = 60
"""Most combinations one explorer may precompute (they all travel in the page)."""

MAX_HTML_BYTES = 800_000
"""Largest static HTML an explorer may produce (notebook outputs must stay under 1 MB)."""

STATIC_DPI = 80
"""Resolution of the precomputed frames: small files, still readable."""

LIVE_DPI = 100
"""Resolution of the pictures the live widget draws."""

_MIME_WIDGET = "application/vnd.jupyter.widget-view+json"


class ExplorerError(ValueError):
    """An explorer was given controls it cannot show (empty, mixed, too many frames)."""


def explore(draw: Callable[..., Any], /, **controls: Sequence[Any]) -> Explorer:
    """Explore ``draw(**values)`` over every combination of ``controls`` (Activation functions chapter).

    Numbers become sliders, strings drop-down menus. Display the result (make it the
    last expression of a cell): a live kernel shows ipywidgets controls, the static
    site shows precomputed frames with client-side controls.
    """
    return Explorer(draw, controls)


class Explorer:
    """An interactive figure: ``draw`` evaluated over a grid of control values (Activation functions chapter)."""

    def __init__(
        self,
        draw: Callable[..., Any],
        controls: Mapping[str, Sequence[Any]],
        *,
        max_frames: int = MAX_FRAMES,
        max_html_bytes: int = MAX_HTML_BYTES,
        static_dpi: float = STATIC_DPI,
        live_dpi: float = LIVE_DPI,
    ) -> None:
        if not callable(draw):
            raise TypeError(f"draw must be a function that returns a matplotlib Figure, got {draw!r}")
        if not controls:
            raise ExplorerError(
                "explore() needs at least one control, e.g. explore(draw, alpha=[0.1, 0.2, 0.3])"
            )
        self.draw = draw
        self.controls: dict[str, tuple[Any, ...]] = {
            name: _check_values(name, values) for name, values in controls.items()
        }
        self.shape = tuple(len(values) for values in self.controls.values())
        self.n_combinations = math.prod(self.shape)
        if self.n_combinations > max_frames:
            sizes = " x ".join(f"{len(v)} {n}" for n, v in self.controls.items())
            raise ExplorerError(
                f"{sizes} = {self.n_combinations} combinations, more than the {max_frames} frames "
                "an explorer precomputes for the static site. Offer fewer values per control."
            )
        self.max_html_bytes = max_html_bytes
        self.static_dpi = static_dpi
        self.live_dpi = live_dpi
        self._frames: list[bytes] | None = None  # distinct frames, PNG
        self._index: list[int] | None = None  # combination number -> frame number

    # ----------------------------------------------------------------- drawing
    def figure(self, /, **values: Any):
        """Call ``draw`` for one combination and check that it returned a Figure."""
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure

        before = set(plt.get_fignums())
        try:
            fig = self.draw(**values)
        except Exception:
            _close_new_figures(before)
            raise
        if not isinstance(fig, Figure):
            _close_new_figures(before)
            raise TypeError(
                f"draw({_format_kwargs(values)}) returned {type(fig).__name__}, not a matplotlib "
                "Figure; end draw with `return fig` (e.g. fig, ax = plt.subplots(); ...; return fig)"
            )
        return fig

    def png(self, dpi: float, /, **values: Any) -> bytes:
        """Draw one combination as PNG bytes (the figure is closed afterwards)."""
        import matplotlib.pyplot as plt

        fig = self.figure(**values)
        try:
            buffer = io.BytesIO()
            # No "Software" metadata: the bytes depend only on the picture.
            fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        finally:
            plt.close(fig)
        return buffer.getvalue()

    def combinations(self) -> list[dict[str, Any]]:
        """Every combination of control values, the last control varying fastest."""
        names = list(self.controls)
        return [dict(zip(names, combo)) for combo in itertools.product(*self.controls.values())]

    def _render_frames(self) -> None:
        if self._frames is not None:
            return
        frames: list[bytes] = []
        seen: dict[bytes, int] = {}
        index: list[int] = []
        for values in self.combinations():
            data = _shrink_png(self.png(self.static_dpi, **values))
            if data not in seen:  # identical pictures travel once
                seen[data] = len(frames)
                frames.append(data)
            index.append(seen[data])
        self._frames, self._index = frames, index

    @property
    def frames(self) -> list[str]:
        """The distinct precomputed frames, as base64-encoded PNG."""
        self._render_frames()
        assert self._frames is not None
        return [base64.b64encode(frame).decode("ascii") for frame in self._frames]

    # ------------------------------------------------------------ static HTML
    def to_html(self) -> str:
        """The kernel-free explorer: precomputed frames, HTML controls and a small script."""
        self._render_frames()
        assert self._frames is not None and self._index is not None
        controls = []
        for i, (name, values) in enumerate(self.controls.items()):
            label = html.escape(name)
            if _is_numeric(values):
                first = html.escape(_format_value(values[0]))
                controls.append(_fill("slider.html", index=i, label=label, max=len(values) - 1, first=first))
            else:
                options = "".join(
                    _fill("option.html", index=k, text=html.escape(str(v))) for k, v in enumerate(values)
                )
                controls.append(_fill("menu.html", index=i, label=label, options=options))
        data = {
            "names": list(self.controls),
            "labels": [[_format_value(v) for v in values] for values in self.controls.values()],
            "sizes": list(self.shape),
            "index": self._index,
        }
        text = _fill(
            "explorer.html",
            controls="\n".join(controls),
            alt=html.escape(f"figure for {_format_kwargs(self.combinations()[0])}"),
            first_frame=_base64_lines(self._frames[self._index[0]]),
            # "<" escaped so that no value can close the <script> element early.
            data=json.dumps(data, separators=(",", ":")).replace("<", "\\u003c"),
            # Base64 in short lines, one "*" line between frames: line-based regular
            # expressions (nbval's sanitizers, diff tools) can take quadratic time on one
            # 100 kB line.
            frames="\n*\n".join(_base64_lines(frame) for frame in self._frames),
            script=_asset("explorer.js"),
        )
        if len(text) > self.max_html_bytes:
            raise ExplorerError(
                f"the static explorer is {len(text):,} bytes, more than {self.max_html_bytes:,}: "
                "use fewer values per control or a smaller figure (figsize)"
            )
        return text

    # -------------------------------------------------------------- live view
    def widget(self):
        """The live view: ipywidgets controls that redraw the figure on every change."""
        import ipywidgets as widgets

        controls = {}
        for name, values in self.controls.items():
            if _is_numeric(values):
                controls[name] = widgets.SelectionSlider(
                    options=[(_format_value(v), v) for v in values], value=values[0],
                    description=name, continuous_update=False, style={"description_width": "initial"},
                )
            else:
                controls[name] = widgets.Dropdown(
                    options=list(values), value=values[0], description=name,
                    style={"description_width": "initial"},
                )
        image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))

        def redraw(_change: object = None) -> None:
            image.value = self.png(self.live_dpi, **{n: c.value for n, c in controls.items()})

        for control in controls.values():
            control.observe(redraw, names="value")
        redraw()
        return widgets.VBox([widgets.HBox(list(controls.values())), image])

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/html": self.to_html()}
        if _in_kernel():
            try:
                view = self.widget()
            except ImportError:  # no ipywidgets: the static view still works
                pass
            else:  # written out rather than asked of ipywidgets, whose API differs between 7 and 8
                bundle[_MIME_WIDGET] = {"version_major": 2, "version_minor": 0, "model_id": view.model_id}
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}: {len(values)} values" for name, values in self.controls.items())
        return f"<Explorer of {getattr(self.draw, '__name__', 'draw')}() over {sizes}>"


# --------------------------------------------------------------------- helpers
def _check_values(name: str, values: Any) -> tuple[Any, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray, range)):
        raise ExplorerError(
            f"control {name!r} must be a list of values such as [0.1, 0.2] or ['relu', 'tanh'], "
            f"got {values!r}"
        )
    values = tuple(v.item() if isinstance(v, np.generic) else v for v in values)
    if not values:
        raise ExplorerError(f"control {name!r} has no values; give at least one")
    numeric = [isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values]
    textual = [isinstance(v, str) for v in values]
    if not (all(numeric) or all(textual)):
        raise ExplorerError(
            f"control {name!r} must hold only numbers (a slider) or only strings (a menu), "
            f"got {values!r}"
        )
    if all(numeric) and not all(math.isfinite(v) for v in values):
        raise ExplorerError(f"control {name!r} has a value that is not a finite number: {values!r}")
    if len(set(values)) != len(values):
        raise ExplorerError(f"control {name!r} repeats a value: {values!r}")
    return values


def _is_numeric(values: Sequence[Any]) -> bool:
    return not isinstance(values[0], str)


def _format_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _format_kwargs(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_format_value(v)}" for k, v in values.items())


def _close_new_figures(before: set[int]) -> None:
    """Close the figures a failing ``draw`` left open, so they don't appear under the cell."""
    import matplotlib.pyplot as plt

    for number in set(plt.get_fignums()) - before:
        plt.close(number)


def _shrink_png(data: bytes) -> bytes:
    """Re-encode a PNG with a 256-colour palette: line plots look the same, files ~3x smaller."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        small = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _base64_lines(data: bytes) -> str:
    """Base64 in lines of 76 characters (MIME style), without the final newline."""
    return base64.encodebytes(data).decode("ascii").rstrip("\n")


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (where widgets can talk to a frontend)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


# The static view's markup and script: helpers/explorer/*.html are string.Template
# files ($name placeholders); explorer.js runs once per explorer on the static page and
# finds its own <div> through document.currentScript.
_ASSETS = resources.files("helpers") / "explorer"


@functools.cache
def _asset(name: str) -> str:
    return (_ASSETS / name).read_text(encoding="utf-8").removesuffix("\n")


def _fill(template: str, /, **values: Any) -> str:
    return string.Template(_asset(template)).substitute(values)
