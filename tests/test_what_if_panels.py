"""The what-if panels (cells tagged ``interactive``) build and respond, outside a kernel.

nbval skips these cells (tag ``nbval-skip``): widget comms without a front end
can wedge a headless kernel (jupyter/nbclient#312). Here every code cell of the
notebook runs in-process instead, where widgets need no front end, and the
panel's controls are moved to check the result updates.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_cells(name: str, parameters: dict, tmp_path: Path) -> dict:
    """Execute a notebook's code cells in one namespace, as a kernel would, and return it."""
    import ipywidgets

    captured: list = []
    original_interact = ipywidgets.interact

    def interact(function, **controls):
        panel = ipywidgets.interactive(function, **controls)
        captured.append(panel)
        return panel

    ipywidgets.interact = interact
    namespace: dict = {"__name__": "__notebook__"}
    try:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            source = "\n".join(
                line for line in cell.source.splitlines() if not line.startswith("%")
            )
            exec(compile(source, f"{name}.ipynb", "exec"), namespace)
            if "parameters" in cell.metadata.get("tags", []):
                namespace.update(parameters)
    finally:
        ipywidgets.interact = original_interact
    namespace["_panels"] = captured
    return namespace


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("business_case", {"initiative_id": "CRM-01"}),
        ("roadmap", {}),
    ],
)
def test_what_if_panel_builds_and_updates(root, tmp_path, name, parameters):
    parameters = {"root": str(root), "artifacts_dir": str(tmp_path), **parameters}
    namespace = run_cells(name, parameters, tmp_path)
    panels = namespace["_panels"]
    assert len(panels) == 1, "each report has one what-if panel"
    panel = panels[0]
    first = _table_text(panel.result)
    sliders = [w for w in panel.children if hasattr(w, "value") and hasattr(w, "max")]
    assert sliders, "the panel has controls"
    slider = sliders[0]
    if isinstance(slider.value, tuple):
        low, high = slider.value
        slider.value = (low, min(slider.max, high * 1.5))
    else:
        slider.value = min(slider.max, slider.value * 1.5) or slider.max
    panel.update()
    assert panel.result is not None
    assert _table_text(panel.result) != first, "moving a control changes the result"


def _table_text(result) -> str:
    """The shown table as text (a pandas Styler shows its .data)."""
    table = getattr(result, "data", result)
    return table.to_string() if hasattr(table, "to_string") else repr(table)
