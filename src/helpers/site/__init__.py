"""The rendered site: report pages, the quarter page, the home page and the SOP chapters.

``playbook run`` names the renderer by module (``helpers.site``): these are its
entry points (and the decision brief beside each quarter page).

Each entry point is imported when first asked for (PEP 562): a build's workers only
render notebooks (``render_notebook``), and importing the brief would load the whole
quarter model, scipy and matplotlib into each of them for nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

_ENTRY_POINTS = {
    "publish_site_pages": "helpers.site.pages",
    "render_notebook": "helpers.site.pages",
    "render_quarter_page": "helpers.site.pages",
    "write_brief": "helpers.site.brief",
}

# what a build's workers import before their first page: where ``render_notebook`` is
# (``helpers.build.engines.renderer_modules`` reads it without importing that module)
WORKER_MODULES = [_ENTRY_POINTS["render_notebook"]]

__all__ = sorted(_ENTRY_POINTS)


def __getattr__(name: str) -> Any:
    module = _ENTRY_POINTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # asked once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ENTRY_POINTS})
