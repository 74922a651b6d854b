"""What each process of a build imports before its first notebook: no more than it uses.

Every build starts three kinds of Python process (the command, its workers' forkserver,
the kernel template); each second one of them spends importing is paid by every build,
and by every test that builds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from helpers.build.engines import renderer_modules

PROBE = textwrap.dedent(
    """
    import importlib, json, sys
    # what a build's forkserver imports before it forks the workers, and what they ask for
    from helpers.build.engines import renderer_modules
    from helpers.build.executors import WORKER_PRELOAD
    for name in [*WORKER_PRELOAD, *renderer_modules("helpers.site")]:
        importlib.import_module(name)
    import helpers.site
    helpers.site.render_notebook
    worker = sorted(m for m in WATCHED if m in sys.modules)
    from helpers.build.kernels import KERNEL_PRELOAD
    for name in KERNEL_PRELOAD:
        importlib.import_module(name)
    import helpers.build.pipeline, helpers.report.model, helpers.site.brief
    model = sorted(m for m in WATCHED if m in sys.modules)
    print(json.dumps({"worker": worker, "model": model}))
    """
)
WATCHED = ["helpers.model.quarter_model", "matplotlib", "pandas", "scipy", "scipy.stats"]


def test_a_worker_renders_without_the_model_and_nothing_imports_scipy_stats() -> None:
    code = f"WATCHED = {WATCHED!r}\n{PROBE}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    # papermill and the renderer alone: not the quarter model, matplotlib (2.5 s a
    # worker), pandas or scipy (1.7 s): the quarter page's words are imported by the
    # command that renders it, not by the workers' forkserver on every build
    assert imported["worker"] == []
    # the model and every kernel import: scipy.stats (1.1 s, its docstrings rebuilt at
    # import) is not among them: the normal quantiles come from scipy.special
    assert "scipy.stats" not in imported["model"]
    assert "helpers.model.quarter_model" in imported["model"]  # the probe did import it


def test_renderer_modules_name_the_module_render_notebook_lives_in() -> None:
    assert renderer_modules("helpers.site") == ["helpers.site", "helpers.site.pages"]
    assert renderer_modules("helpers.site.pages") == ["helpers.site.pages"]
    assert renderer_modules("helpers.site:ignored") == ["helpers.site", "helpers.site.pages"]
    # a module that is not there: named as given, its pages report the import error
    assert renderer_modules("no_such_site_module") == ["no_such_site_module"]


RENDER_PROBE = textwrap.dedent(
    """
    import importlib, json, sys
    import nbformat
    from helpers.build.engines import renderer_modules
    from helpers.build.executors import WORKER_PRELOAD, prime_renderers
    for name in [*WORKER_PRELOAD, *renderer_modules("helpers.site")]:
        importlib.import_module(name)
    prime_renderers(["helpers.site"])
    import helpers.site
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("A *case*.")])
    nb.metadata["papermill"] = {"parameters": {"quarter": "2026Q4", "root": sys.argv[1]}}
    page = helpers.site.render_notebook(nb, title="Business case")
    print(json.dumps({"draft": "Draft" in page,
                      "scipy": sorted(m for m in sys.modules if m.split(".")[0] == "scipy")}))
    """
)


def test_a_worker_renders_a_draft_page_without_importing_scipy(root) -> None:
    """A draft quarter's page says so in the words of ``report.quarter``; those words do
    not bring the selection solver (scipy.optimize: ~0.9 s in every worker's first page)."""
    done = subprocess.run(
        [sys.executable, "-c", RENDER_PROBE, str(root)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"draft": True, "scipy": []}
