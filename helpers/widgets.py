"""Interactive figures that work in a live kernel *and* on the static site.

Activation functions chapter, "Explore the functions yourself"::

    from helpers.widgets import explore

    def draw(name, alpha):          # returns a matplotlib Figure for one combination
        ...

    explore(draw, name=["relu", "elu"], alpha=[0.01, 0.1, 0.3])

Each keyword names a control and gives its values: numbers become a slider that
steps through exactly those values, strings a drop-down menu. The first value of
each control is shown first.

How one output serves two kinds of reader: ``explore`` returns an :class:`Explorer`
whose display is a single MIME bundle with

* ``application/vnd.jupyter.widget-view+json`` -- ipywidgets controls that call
  ``draw`` again on every change. Jupyter, JupyterLab, Colab and Binder prefer this
  view whenever a kernel is running;
* ``text/html`` -- every combination drawn in advance as a small PNG, plus
  ``<input type="range">``/``<select>`` controls and a few lines of JavaScript that
  swap the picture. It needs no kernel and no server, so it works on the book's
  static site. The site prefers it because ``_config.yml`` drops the widget view for
  HTML builds (``nb_mime_priority_overrides``): a widget view without a kernel would
  show nothing;
* ``text/plain`` -- a one-line summary for terminals.

Identical pictures are stored once, and the PNGs are re-encoded with a 256-colour
palette, so a two-panel line plot costs about 5 kB per distinct frame. A notebook
opened without running it shows the widget view's "model not found" in JupyterLab,
as every ipywidgets output does; running the cell brings the controls back.

The PNG frames are deterministic (same code, same libraries, same picture), so nbval
can compare the ``text/html`` output; if ``draw`` depends on something that varies
between runs (a training run, a timer), tag the cell ``nbval-ignore-output``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
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
        self._frames: list[str] | None = None  # distinct frames, base64 PNG
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
        frames: list[str] = []
        seen: dict[str, int] = {}
        index: list[int] = []
        for values in self.combinations():
            data = _shrink_png(self.png(self.static_dpi, **values))
            key = hashlib.sha256(data).hexdigest()
            if key not in seen:  # identical pictures travel once
                seen[key] = len(frames)
                frames.append(base64.b64encode(data).decode("ascii"))
            index.append(seen[key])
        self._frames, self._index = frames, index

    @property
    def frames(self) -> list[str]:
        """The distinct precomputed frames, as base64-encoded PNG."""
        self._render_frames()
        assert self._frames is not None
        return self._frames

    # ------------------------------------------------------------ static HTML
    def to_html(self) -> str:
        """The kernel-free explorer: precomputed frames, HTML controls and a small script."""
        self._render_frames()
        assert self._frames is not None and self._index is not None
        controls_html = []
        for i, (name, values) in enumerate(self.controls.items()):
            label = html.escape(name)
            if _is_numeric(values):
                first = html.escape(_format_value(values[0]))
                controls_html.append(
                    f'<label style="display:inline-flex;align-items:center;gap:0.4em;margin-right:1.5em">'
                    f'{label} <input type="range" data-control="{i}" min="0" max="{len(values) - 1}" '
                    f'step="1" value="0" aria-label="{label}" aria-valuetext="{first}">'
                    f'<output data-for="{i}" style="min-width:3em">{first}</output></label>'
                )
            else:
                options = "".join(
                    f'<option value="{k}">{html.escape(str(v))}</option>' for k, v in enumerate(values)
                )
                controls_html.append(
                    f'<label style="display:inline-flex;align-items:center;gap:0.4em;margin-right:1.5em">'
                    f'{label} <select data-control="{i}" aria-label="{label}">{options}</select></label>'
                )
        data = {
            "names": list(self.controls),
            "labels": [[_format_value(v) for v in values] for values in self.controls.values()],
            "sizes": list(self.shape),
            "index": self._index,
        }
        # "<" escaped so that no value can close the <script> element early.
        payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
        # Frames go in as base64 wrapped at 76 characters, one "*" line between frames.
        # Short lines matter: line-based regular expressions (nbval's sanitizers, diff
        # tools) can take quadratic time on one 100 kB line.
        frames = "\n*\n".join(_wrap(frame) for frame in self._frames)
        alt = html.escape(f"figure for {_format_kwargs(self.combinations()[0])}")
        text = "\n".join([
            '<div class="dlbook-explorer">',
            '<div class="dlbook-explorer-controls">',
            *controls_html,
            "</div>",
            f'<img class="dlbook-explorer-frame" alt="{alt}" style="max-width:100%;height:auto" '
            f'src="data:image/png;base64,\n{_wrap(self._frames[self._index[0]])}">',
            f'<script type="application/json" class="dlbook-explorer-data">{payload}</script>',
            f'<script type="text/plain" class="dlbook-explorer-frames">\n{frames}\n</script>',
            f"<script>\n{_SCRIPT}\n</script>",
            "</div>",
        ])
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


def _wrap(text: str, width: int = 76) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (where widgets can talk to a frontend)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


# Runs once per explorer on the static page; finds its own <div> through currentScript.
_SCRIPT = r"""(function () {
  var me = document.currentScript, root = me && me.parentElement;
  if (!root) { return; }
  var data = JSON.parse(root.querySelector("script.dlbook-explorer-data").textContent);
  var frames = root.querySelector("script.dlbook-explorer-frames").textContent.split("*");
  for (var f = 0; f < frames.length; f++) { frames[f] = frames[f].replace(/\s+/g, ""); }
  var img = root.querySelector("img.dlbook-explorer-frame");
  var inputs = root.querySelectorAll("[data-control]");
  function update() {
    var flat = 0, alt = [];
    for (var i = 0; i < inputs.length; i++) {
      var k = parseInt(inputs[i].value, 10), label = data.labels[i][k];
      flat = flat * data.sizes[i] + k;
      alt.push(data.names[i] + "=" + label);
      var out = root.querySelector('output[data-for="' + i + '"]');
      if (out) { out.textContent = label; inputs[i].setAttribute("aria-valuetext", label); }
    }
    img.src = "data:image/png;base64," + frames[data.index[flat]];
    img.alt = "figure for " + alt.join(", ");
  }
  for (var i = 0; i < inputs.length; i++) {
    inputs[i].addEventListener("input", update);
    inputs[i].addEventListener("change", update);
  }
})();"""
