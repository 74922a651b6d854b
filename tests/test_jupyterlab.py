"""The business-case notebook in a real JupyterLab, driven by headless Chromium.

Starts JupyterLab on a free port (token disabled, no browser) rooted at a
temporary copy of the project, opens ``notebooks/business_case.ipynb``, runs all
cells and checks that no cell errs, that no dollar amount is typeset as maths
(tables and Markdown outputs alike), that every Markdown output escapes its
dollars and carries the wrapper MathJax skips (``helpers.report.markdown``),
and the what-if of its sample case (EML-01, whose benefit is drawn from template
drivers): untouched, its what-if column is the case's own figures and its
expected NPV the headline's; a driver's high typed higher raises the what-if's
expected NPV while the case column stays; moving one slider changes the result.
The server is stopped in a ``finally``; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, _unavailable

from helpers.core.fmt import fmt_money
from helpers.report.markdown import NO_MATHS_OPEN

pytestmark = [pytest.mark.browser, pytest.mark.slow]

START_SECONDS = 90  # JupyterLab answering on its port
RUN_SECONDS = 420  # every cell of the notebook executed
UPDATE_SECONDS = 90  # the what-if table redrawn after a slider moved

_CELLS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model) return null;
  const cells = panel.content.model.cells, found = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    const errors = [];
    for (let j = 0; j < cell.outputs.length; j++) {
      const output = cell.outputs.get(j).toJSON();
      if (output.output_type === 'error') errors.push(`${output.ename}: ${output.evalue}`);
    }
    found.push({count: cell.executionCount, errors});
  }
  return {cells: found, busy: panel.sessionContext.session?.kernel?.status};
}"""

_TYPESET_MONEY = """() => [...document.querySelectorAll(
    '.jp-OutputArea .MathJax, .jp-OutputArea mjx-container')]
  .filter(m => /\\d/.test(m.textContent))
  .map(m => `${m.closest('[data-mime-type]')?.dataset.mimeType}: ${m.textContent}`)"""

# the text/markdown data of every output, as the kernel sent it (what a saved notebook holds)
_MARKDOWN_OUTPUTS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells, found = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    for (let j = 0; j < cell.outputs.length; j++) {
      const data = cell.outputs.get(j).toJSON().data || {};
      if (data['text/markdown']) found.push([].concat(data['text/markdown']).join(''));
    }
  }
  return found;
}"""

BARE_DOLLAR = re.compile(r"(?<!\\)\$")  # a $ a Markdown maths plugin would read as maths

_RESULT_TEXT = """() => {
  const slider = document.querySelector('.jp-OutputArea .widget-slider');
  const panel = slider && slider.closest('.widget-vbox');
  const tables = panel ? panel.querySelectorAll('.widget-html table') : [];
  return tables.length ? tables[tables.length - 1].innerText : null;
}"""


# the what-if comparison table as {figure: [case, what-if]}
_COMPARISON = """() => {
  const slider = document.querySelector('.jp-OutputArea .widget-slider');
  const panel = slider && slider.closest('.widget-vbox');
  const tables = panel ? panel.querySelectorAll('.widget-html table') : [];
  if (!tables.length) return null;
  const rows = {};
  for (const tr of tables[tables.length - 1].querySelectorAll('tbody tr')) {
    const cells = [...tr.querySelectorAll('td')].map(td => td.innerText.trim());
    rows[cells[0]] = cells.slice(1);
  }
  return rows;
}"""

CASE_ID = "EML-01"  # the notebook's default initiative: a benefit drawn from template drivers
_HEADLINE_NPV = (
    f"() => document.querySelector('.jp-OutputArea [data-key=\"cases.{CASE_ID}.npv.mean\"]')"
    "?.dataset.value"
)


def _dollars(text: str) -> float:
    """``-$1,234`` as -1234.0."""
    return float(text.replace("$", "").replace(",", ""))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")


@pytest.fixture
def jupyterlab(tmp_path, root):
    """A JupyterLab server on a free port, rooted at a copy of the project; its URL."""
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        _unavailable("jupyter (JupyterLab) is not installed in this environment")
    project = tmp_path / "project"
    for folder in ("params", "notebooks", "data/sample"):
        shutil.copytree(root / folder, project / folder)
    settings = tmp_path / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # every cell stays in the page (no windowing), so its outputs can be read
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(root / "src"), os.environ.get("PYTHONPATH")])
        ),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [
            str(jupyter),
            "lab",
            f"--port={port}",
            "--ip=127.0.0.1",
            "--no-browser",
            "--ServerApp.open_browser=False",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--LabApp.expose_app_in_browser=True",
            f"--ServerApp.root_dir={project}",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # containers run tests as root
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited: {(tmp_path / 'jupyterlab.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        _wait(answering, START_SECONDS, f"JupyterLab on port {port}")
        yield url
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()


def test_business_case_runs_in_jupyterlab_and_its_drivers_and_sliders_move_the_result(
    jupyterlab,
):
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found: install it with `apt-get install -y chromium`")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(f"{jupyterlab}/lab/tree/notebooks/business_case.ipynb")
            page.wait_for_function(
                "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                " && window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel",
                timeout=120_000,
            )
            page.wait_for_function(
                "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                ".status === 'idle'",
                timeout=120_000,
            )
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

            def finished():
                state = page.evaluate(_CELLS)
                if not state or state["busy"] != "idle":
                    return None
                cells = state["cells"]
                if any(c["errors"] for c in cells) or all(c["count"] for c in cells):
                    return cells
                return None

            cells = _wait(finished, RUN_SECONDS, "every cell of business_case.ipynb to run")
            errors = [e for c in cells for e in c["errors"]]
            assert errors == [], f"cells failed in JupyterLab: {errors}"
            typeset = page.evaluate(_TYPESET_MONEY)
            assert "$" in page.inner_text(".jp-Notebook")  # money shown, as text

            # untouched, the what-if is the case, and the case is the page's headline
            untouched = _wait(lambda: page.evaluate(_COMPARISON), 60, "the what-if table")
            assert all(case == what_if for case, what_if in untouched.values()), untouched
            headline_npv = float(page.evaluate(_HEADLINE_NPV))
            assert untouched["Expected NPV"][0] == fmt_money(headline_npv, compact=False)
            # a driver typed higher (the first driver's high, tripled): expected NPV rises
            box = page.locator(".jp-OutputArea .what-if-driver-high input").first
            box.scroll_into_view_if_needed()
            high = float(box.input_value().replace(",", ""))
            box.fill(f"{3 * high:g}")
            box.press("Enter")
            moved = _wait(
                lambda: (rows := page.evaluate(_COMPARISON)) != untouched and rows,
                UPDATE_SECONDS,
                "the what-if table to change after a driver changed",
            )
            assert moved["Expected NPV"][0] == untouched["Expected NPV"][0]  # the case stays
            assert _dollars(moved["Expected NPV"][1]) > _dollars(untouched["Expected NPV"][1])

            before = _wait(lambda: page.evaluate(_RESULT_TEXT), 60, "the what-if table")
            handle = page.locator(".jp-OutputArea .widget-slider .noUi-handle").first
            handle.scroll_into_view_if_needed()
            box = handle.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2, steps=5)
            page.mouse.up()
            after = _wait(
                lambda: (text := page.evaluate(_RESULT_TEXT)) != before and text,
                UPDATE_SECONDS,
                "the what-if table to change after moving a slider",
            )
            assert after != before
            # Markdown outputs (every report sentence) and HTML tables alike: nothing typeset
            assert typeset == [], f"dollar amounts typeset as maths: {typeset[:3]}"
            markdown = page.evaluate(_MARKDOWN_OUTPUTS)
            assert len(markdown) >= 10, "the notebook shows its report sentences as Markdown"
            bare = [m for m in markdown if BARE_DOLLAR.search(m)]
            assert bare == [], f"Markdown outputs with an unescaped $: {bare[:3]}"
            unwrapped = [m for m in markdown if NO_MATHS_OPEN not in m]
            assert unwrapped == [], f"Markdown outputs MathJax would read: {unwrapped[:3]}"
        finally:
            browser.close()
