"""Showing the book's own code on the page.

A chapter that moves code into ``helpers`` still shows that code where it teaches it:
``show_source(obj)`` displays the source of a function, class or method, so the page
prints exactly the code that runs (as d2l does with its ``d2l`` package).
"""

from __future__ import annotations

import inspect
import textwrap
from typing import Any

__all__ = ["show_source"]


def show_source(obj: Any):
    """The source code of ``obj`` as a syntax-highlighted IPython ``Code`` object.

    >>> from helpers.stats import mean_se
    >>> "def mean_se" in show_source(mean_se).data
    True
    """
    from IPython.display import Code

    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError) as error:
        raise TypeError(f"show_source needs a Python function, class, method or module defined in a "
                        f"source file; {obj!r} has no source to show ({error})") from None
    # a method's source is indented inside its class; dedent it so it reads as written
    return Code(textwrap.dedent(source), language="python")
