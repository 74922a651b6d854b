"""The rendered site: executed notebooks to HTML, quarter pages, the home page and SOP chapters.

Every page is self-contained and works offline: the stylesheet is inlined,
images are data URIs, and no page carries a web font or a link that the
browser would fetch. The only script is the site's own table pager
(``templates/pager.js``, inlined as ``<script id="playbook-pager">``), and only
on a page with a long table (``paged-table``): a quarter of thousands of
initiatives stays one light page that filters, sorts and pages its rows, and
shows its first rows and a note without JavaScript. Text from registers is
escaped everywhere:

- Jinja pages (home, chapters, quarter pages) autoescape;
- in reports, Markdown (cells and ``display(Markdown(...))`` outputs) is rendered
  with raw HTML escaped, so ``<script>`` in an initiative's name shows as text;
  remote images are dropped (their alt text is shown); the one HTML kept is a
  figure tagged with its document key (``helpers.report.keys``), in its exact form;
- HTML outputs (tables) are sanitised with an allow-list (no scripts, no event
  handlers, images only as data URIs; a span's ``data-key`` and ``data-value``).

Layout (see ``helpers.build.pipeline``)::

    reports/index.html                home: SOP chapters, quarters newest first
    reports/sop/<chapter>.html        one page per playbook/<chapter>.md
    reports/<Q>/index.html            quarter page (render_quarter_page)
    reports/<Q>/calibration.html      rendered notebooks (render_notebook)
    reports/<Q>/roadmap.html
    reports/<Q>/cases/<id>.html
    reports/<Q>/build/manifest.json   what the build ran, with status and errors
"""

from __future__ import annotations

import contextlib
import copy
import re
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import nbformat

from helpers.core.fmt import fmt_money, fmt_pct
from helpers.load.artifacts import (
    CALIBRATION,
    REVIEW,
    ROADMAP,
    case_path,
    published_artifacts_dir,
    read_json,
    safe_id,
    write_text_atomic,
)
from helpers.site.html import clean_html
from helpers.site.markdown import render_markdown

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_NAME = "playbook"
REMOVED_TAGS = ("parameters", "injected-parameters", "interactive", "papermill-error-cell-tag")
NOT_BUILT = "(not yet built)"
CASES_SHOWN = 50  # business cases a quarter page shows at first (and without JavaScript)
FAILED_LISTED = 20  # failed reports the quarter page's banner names; it counts the rest
QUARTER_FOLDER = re.compile(r"^\d{4}Q[1-4]$")
DRAFT_LABEL = "Draft"  # what every page of a draft quarter says

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"  # an output that is a widget: dropped
_DROPPED_MIMETYPES = ("application/vnd.jupyter.widget-state+json", "application/javascript")

_exporter = None
_exporter_lock = threading.Lock()
_pages: jinja2.Environment | None = None


# --------------------------------------------------------------------------- reports


def render_notebook(
    nb: nbformat.NotebookNode,
    *,
    title: str,
    failed: bool = False,
    page: str | None = None,
    error: Mapping[str, Any] | None = None,
    draft: bool | None = None,
) -> str:
    """One executed notebook as a self-contained HTML page, code hidden.

    Cells tagged ``parameters``, ``injected-parameters`` or ``interactive`` are
    removed, as are widget views, scripts and stderr. ``failed`` puts a banner
    at the top naming the error and the section where the notebook stopped
    (from the notebook's error output, or from ``error``: {"cell", "ename",
    "evalue"} as in the manifest). ``page`` is the page's path under
    ``reports/`` (e.g. ``2026Q4/cases/EML-01.html``) for the navigation links;
    by default it is inferred from the notebook's papermill parameters.
    ``draft`` labels the page "Draft" (its title, print header and a banner);
    by default it is read from the quarter's params (papermill's ``quarter``
    and ``root``), so every report of a draft quarter says it is one.
    """
    found = _describe_failure(nb, failed, error)
    page = page or _infer_page(nb)
    draft = _is_draft(nb) if draft is None else draft
    paged = any(
        "paged-table" in str(output.get("data", {}).get("text/html", ""))
        for cell in nb.cells
        for output in cell.get("outputs", [])
    )
    resources = {
        "playbook": {
            "title": f"{DRAFT_LABEL}: {title}" if draft else title,
            "print_header": _print_header(page, title, draft=draft),
            "draft": draft,
            "draft_note": _words().approval_line({"status": "draft"}) if draft else "",
            "css": _css(),
            "nav": _render_nav(page, current=_page_kind(page)),
            "failed": failed,
            "error": found,
            "pager": _pager_js() if paged else "",
            "footer": "Rendered from the executed notebook; code is hidden. "
            "Figures come from the quarter's registers and params.",
        }
    }
    exporter = _get_exporter()
    with _exporter_lock:
        body, _ = exporter.from_notebook_node(_strip_noise(nb), resources=resources)
    return body


def _print_header(page: str | None, title: str, *, draft: bool = False) -> str:
    """What a printed report says at the top: Draft (if so), quarter, title and build date."""
    quarter = page.split("/")[0] if page and QUARTER_FOLDER.match(page.split("/")[0]) else ""
    label = DRAFT_LABEL if draft else ""
    return " · ".join(part for part in (label, quarter, title, f"built {_now()}") if part)


def _words() -> Any:
    """``helpers.report.quarter``, imported when asked: a worker renders without it."""
    from helpers.report import quarter

    return quarter


def _is_draft(nb: nbformat.NotebookNode) -> bool:
    """Whether the notebook's quarter (papermill ``quarter`` and ``root``) is a draft.

    False when the notebook does not say which quarter, or its params cannot be read.
    """
    from helpers.core.errors import PlaybookError
    from helpers.load.params import load_params

    parameters = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    quarter, root = parameters.get("quarter"), parameters.get("root")
    if not quarter or not root:
        return False
    try:
        return load_params(str(quarter), Path(root)).status == "draft"
    except (PlaybookError, OSError):
        return False


def _describe_failure(nb, failed: bool, error: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the failure banner says: the notebook's own error, overridden by ``error``."""
    found = find_notebook_error(nb)
    if error is not None:  # the manifest's error: its "cell" is the execution count
        given = {k: v for k, v in error.items() if v is not None}
        if "cell" in given:
            given["execution_count"] = given.pop("cell")
        found = {**(found or {}), **given}
    if failed and found is None:
        found = {"ename": "The notebook did not finish", "evalue": ""}
    found = {
        "cell": None,
        "execution_count": None,
        "section": "",
        "source": "",
        "evalue": "",
        **(found or {}),
    }
    if found["execution_count"] is not None:
        found["where"] = f"cell {found['execution_count']}"
    elif found["cell"] is not None:
        found["where"] = f"cell {found['cell'] + 1} of the notebook"
    else:
        found["where"] = ""
    return found


def find_notebook_error(nb: nbformat.NotebookNode) -> dict[str, Any] | None:
    """The first error output of an executed notebook, or None.

    Returns {"cell": index into ``nb.cells`` (0-based), "execution_count" (the
    ``In [n]`` number, as papermill and the manifest name the cell), "ename",
    "evalue", "section": the heading the cell sits under, "source": the cell's code}.
    """
    section = ""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            section = _last_heading(cell.source) or section
            continue
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return {
                    "cell": index,
                    "execution_count": cell.get("execution_count"),
                    "ename": output.get("ename", "Error"),
                    "evalue": output.get("evalue", ""),
                    "section": section,
                    "source": cell.source,
                }
    return None


# fmt: on


def _strip_noise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without widget views, scripts, stderr and widget state (never shown in a report).

    Charts without alternative text get the heading they sit under.
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    section = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            section = _last_heading(cell.source) or section
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                continue
            data = output.get("data")
            if data is not None:
                if _WIDGET_VIEW in data:
                    continue
                for mime in _DROPPED_MIMETYPES:
                    data.pop(mime, None)
                if not data:
                    continue
                for mime in ("image/png", "image/jpeg"):
                    if mime in data:
                        meta = output.setdefault("metadata", {}).setdefault(mime, {})
                        meta.setdefault("alt", f"Chart: {section}" if section else "Chart")
            kept.append(output)
        cell.outputs = kept
    return nb


def _last_heading(source: str) -> str:
    headings = re.findall(r"^#{1,3}\s+(.+)$", source, flags=re.M)
    return headings[-1].strip() if headings else ""


def _get_exporter():
    """The one configured HTML exporter, created on first use and reused."""
    global _exporter
    if _exporter is None:
        with _exporter_lock:
            if _exporter is None:
                from nbconvert import HTMLExporter
                from nbconvert.preprocessors import TagRemovePreprocessor
                from traitlets.config import Config

                config = Config()
                config.TagRemovePreprocessor.remove_cell_tags = set(REMOVED_TAGS)
                config.TagRemovePreprocessor.enabled = True
                exporter = HTMLExporter(
                    config=config,
                    template_name=TEMPLATE_NAME,
                    extra_template_basedirs=[str(TEMPLATES)],
                    exclude_input=True,
                    exclude_input_prompt=True,
                    exclude_output_prompt=True,
                    anchor_link_text="",
                    # validate the notebook once, after the preprocessors, not after
                    # each of the thirteen (a third of the time a report took to render)
                    optimistic_validation=True,
                )
                exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
                exporter.register_filter("playbook_markdown", render_markdown)
                exporter.register_filter("playbook_clean_html", clean_html)
                _exporter = exporter
    return _exporter


def _infer_page(nb: nbformat.NotebookNode) -> str | None:
    parameters = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    quarter = parameters.get("quarter")
    if not quarter:
        return None
    if parameters.get("initiative_id"):
        return f"{quarter}/cases/{safe_id(parameters['initiative_id'])}.html"
    name = Path(nb.metadata.get("papermill", {}).get("input_path") or "report").stem
    return f"{quarter}/{name}.html"


def _page_kind(page: str | None) -> str:
    if not page:
        return ""
    parts = page.split("/")
    if len(parts) == 3 and parts[1] == "cases":
        return "case"
    return Path(parts[-1]).stem


# --------------------------------------------------------------------------- pages


def _environment() -> jinja2.Environment:
    global _pages
    if _pages is None:
        _pages = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES / "pages")),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _pages


def _css() -> str:
    return (TEMPLATES / "site.css").read_text(encoding="utf-8")


def _pager_js() -> str:
    """The table pager script (``templates/pager.js``), for a page with a ``paged-table``."""
    return (TEMPLATES / "pager.js").read_text(encoding="utf-8")


def _nav(page: str | None, *, quarter: str | None = None) -> dict[str, Any]:
    """Navigation links relative to ``page`` (a path under reports/, or None for the home page)."""
    depth = page.count("/") if page else 0
    up = "../" * depth
    if quarter is None and page and QUARTER_FOLDER.match(page.split("/")[0]):
        quarter = page.split("/")[0]
    nav: dict[str, Any] = {"home": f"{up}index.html", "playbook": f"{up}index.html#playbook"}
    nav["quarter"] = None
    if quarter:
        base = f"{up}{quarter}/"
        nav["quarter"] = {
            "label": quarter,
            "overview": f"{base}index.html",
            "calibration": f"{base}calibration.html",
            "roadmap": f"{base}roadmap.html",
        }
    return nav


def _render_nav(page: str | None, *, current: str) -> str:
    nav = {**_nav(page), "current": current}
    return _environment().get_template("nav.html.j2").render(nav=nav)


def render_page(
    template: str, *, page: str | None, current: str, nav_quarter: str | None = None, **context
) -> str:
    nav = {**_nav(page, quarter=nav_quarter), "current": current}
    context.setdefault("pager", "")  # the pager script, for a page with a long table
    return (
        _environment()
        .get_template(template)
        .render(nav=nav, css=_css(), generated_at=_now(), **context)
    )


def _now() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


def _short_time(stamp: str | None) -> str:
    if not stamp:
        return "–"
    try:
        return datetime.fromisoformat(str(stamp)).strftime("%Y-%m-%d %H:%M %Z").strip()
    except ValueError:
        return str(stamp)


def _error_text(error: Mapping[str, Any] | None) -> str:
    if not error:
        return ""
    text = str(error.get("ename") or "Error")
    if error.get("evalue"):
        text += f": {error['evalue']}"
    if error.get("cell") is not None:
        text += f" (cell {error['cell']})"  # the In [n] number
    return text


def _read_optional(path: Path) -> Any:
    try:
        return read_json(path)
    except (OSError, ValueError):
        return None


def render_quarter_page(
    manifest: dict, artifacts_dir: Path, *, reports_dir: Path | None = None
) -> str:
    """The quarter page (``reports/<Q>/index.html``): every report with its headline figures.

    Reads the case documents (cases/<id>.json: expected NPV, P(loss), cost at
    the params' budget_confidence, recommendation), calibration.json and
    roadmap.json from ``artifacts_dir``; the words come from
    ``helpers.report.quarter``. Reports whose manifest status is ``failed`` are
    marked failed with their error. The page links to the other quarters built
    under ``reports_dir`` (by default the ``reports/`` folder holding the build).
    """
    words = _words()
    artifacts_dir = Path(artifacts_dir)
    quarter = str(manifest.get("quarter", ""))
    params = manifest.get("params") or {}
    currency = params.get("currency", "USD")
    level = words.budget_level(params)  # plan costs at this quantile
    entries = manifest.get("notebooks") or []
    calibration = _read_optional(artifacts_dir / CALIBRATION)
    roadmap = _read_optional(artifacts_dir / ROADMAP)
    review = _read_optional(artifacts_dir / REVIEW)

    overview, cases, failed = [], [], []
    for entry in entries:
        key = str(entry.get("key", ""))
        status = str(entry.get("status", "ok"))
        href = entry.get("html") if status != "skipped" else None
        title = str(entry.get("title") or key)
        if status == "failed":
            failed.append({"href": href, "title": title, "error": _error_text(entry.get("error"))})
        if key.startswith("case:"):
            row = _case_row(key[5:], entry, artifacts_dir, currency, href, level)
            row["roadmap"] = words.roadmap_verdict(roadmap, key[5:])
            row["tags"]["roadmap"] = words.roadmap_verdict_tag(roadmap, key[5:])
            cases.append(row)
        else:
            summary = {
                "calibration": words.calibration_summary(calibration, level),
                "roadmap": words.roadmap_summary(roadmap, currency),
                "review": words.review_summary(review),
            }.get(key, "")
            if status == "failed":
                summary = _error_text(entry.get("error")) or "failed"
            overview.append({"href": href, "title": title, "summary": summary, "status": status})

    built_at = _short_time(manifest.get("built_at"))
    for position, row in enumerate(cases):
        row["rest"] = position >= CASES_SHOWN  # hidden until the pager shows its page
    return render_page(
        "quarter.html.j2",
        page=f"{quarter}/index.html",
        current="quarter",
        title=manifest.get("title") or quarter,
        quarter=quarter,
        built_at=built_at,
        failed=failed[:FAILED_LISTED],
        failed_count=len(failed),
        missing=[str(m) for m in (manifest.get("missing") or [])],
        headline=words.headline_figures(params, calibration, roadmap, len(cases)),
        overview=overview,
        cases=cases,
        cases_note=words.cases_note(params),
        cost_column=words.cost_column(level),
        inputs=words.input_rows(params, built=built_at),
        warnings=[str(w) for w in (manifest.get("warnings") or [])],
        other_quarters=_other_quarters(quarter, artifacts_dir, reports_dir),
        approval=words.approval_line(params),
        changes=words.change_rows(params, manifest.get("changes")),
        cases_shown=CASES_SHOWN,
        # the decision brief is written beside a page with a quarter model (site.brief)
        brief=bool(roadmap) and (artifacts_dir / "quarter.json").is_file(),
        pager=_pager_js() if len(cases) > CASES_SHOWN else "",
    )


def _other_quarters(quarter: str, artifacts_dir: Path, reports_dir: Path | None) -> list[dict]:
    """The other built quarters, newest first, as links from ``reports/<quarter>/index.html``."""
    if reports_dir is None:  # reports/.builds/<build>/build/artifacts or reports/<Q>/build/...
        reports_dir = next(
            (p.parent for p in artifacts_dir.parents if p.name in (".builds", quarter)), None
        )
    if reports_dir is None:
        return []
    return [
        {"quarter": q["quarter"], "href": f"../{q['quarter']}/index.html"}
        for q in list_quarters(reports_dir)
        if q["quarter"] != quarter
    ]


def _case_row(initiative_id, entry, artifacts_dir, currency, href, level) -> dict[str, Any]:
    words = _words()
    status = str(entry.get("status", "ok"))
    doc = _read_optional(case_path(artifacts_dir, initiative_id)) if status != "failed" else None
    doc = doc if isinstance(doc, Mapping) else {}
    figures = words.case_figures(doc, currency=currency, level=level)
    return {
        **figures,
        "id": initiative_id,
        "name": figures["name"] or entry.get("title") or initiative_id,
        "href": href,
        "status": status if doc or status != "ok" else "missing",
        "error": _error_text(entry.get("error")) if status == "failed" else "",
    }


# --------------------------------------------------------------------------- home and SOP


def list_quarters(reports_dir: Path) -> list[dict[str, Any]]:
    """Every built quarter under ``reports_dir`` (``<Q>/build/manifest.json``), newest first."""
    reports_dir = Path(reports_dir)
    found = []
    if not reports_dir.is_dir():
        return found
    for folder in reports_dir.iterdir():
        manifest_path = folder / "build" / "manifest.json"
        if folder.is_dir() and QUARTER_FOLDER.match(folder.name) and manifest_path.is_file():
            manifest = _read_optional(manifest_path)
            if isinstance(manifest, Mapping):
                found.append({"quarter": folder.name, "manifest": manifest, "folder": folder})
    return sorted(found, key=lambda q: q["quarter"], reverse=True)


def collect_figures(reports_dir: Path) -> dict[str, str]:
    """Figures the SOP chapters quote, from the latest built quarter (or "(not yet built)").

    Keys: quarter, title, budget, capacity, currency, budget_confidence (its
    level label, e.g. P80), estimate_confidence, cost_uplift_budget (the cost
    uplift at budget_confidence), cost_uplift_p80, cost_uplift_p50,
    cost_share_overrun, cost_history_n, duration_uplift_p80, and from the backtest
    cost_backtest_p80, cost_backtest_estimate (shares of later actual costs below
    the calibrated P80, a tie counting half, and at or below the raw estimate) and
    cost_backtest_n.
    """
    from helpers.report.labels import level_label

    words = _words()

    keys = [
        "quarter",
        "title",
        "budget",
        "capacity",
        "currency",
        "budget_confidence",
        "estimate_confidence",
        "cost_uplift_budget",
        "cost_uplift_p80",
        "cost_uplift_p50",
        "cost_share_overrun",
        "cost_history_n",
        "duration_uplift_p80",
        "cost_backtest_p80",
        "cost_backtest_estimate",
        "cost_backtest_n",
    ]
    figures = dict.fromkeys(keys, NOT_BUILT)
    quarters = list_quarters(reports_dir)
    figures.update(_loop_figures(reports_dir, quarters))
    if not quarters:
        return figures
    latest = quarters[0]
    manifest, params = latest["manifest"], latest["manifest"].get("params") or {}
    currency = params.get("currency", "USD")
    figures["quarter"] = latest["quarter"]
    figures["title"] = str(manifest.get("title") or latest["quarter"])
    figures["currency"] = currency
    if params.get("budget") is not None:
        figures["budget"] = fmt_money(params["budget"], currency, compact=False)
    if params.get("capacity") is not None:
        figures["capacity"] = words.fmt_person_weeks(params["capacity"])
    if params.get("budget_confidence") is not None:
        figures["budget_confidence"] = level_label(params["budget_confidence"])
    if params.get("estimate_confidence") is not None:
        figures["estimate_confidence"] = fmt_pct(params["estimate_confidence"])
    calibration = _read_optional(
        published_artifacts_dir(reports_dir, latest["quarter"]) / CALIBRATION
    )
    overall = words.cost_overall(calibration)
    uplift = words.cost_uplift(calibration, words.budget_level(params))
    if uplift is not None:
        figures["cost_uplift_budget"] = fmt_pct(uplift)
    if overall:
        for key, q in (("cost_uplift_p80", "0.2"), ("cost_uplift_p50", "0.5")):
            value = words.quantile(overall.get("uplift"), q)
            if value is not None:
                figures[key] = fmt_pct(value)
        if overall.get("share_overrun") is not None:
            figures["cost_share_overrun"] = fmt_pct(overall["share_overrun"])
        if overall.get("n") is not None:
            figures["cost_history_n"] = f"{int(overall['n'])}"
    with contextlib.suppress(KeyError, TypeError):  # no duration calibrated
        duration = calibration["metrics"]["duration"]["overall"]
        value = words.quantile(duration.get("uplift"), "0.2")
        if value is not None:
            figures["duration_uplift_p80"] = fmt_pct(value)
    figures.update(_backtest_figures(calibration))
    return figures


def _backtest_figures(calibration: Any) -> dict[str, str]:
    """The cost backtest as the chapter quotes it; too little history says so."""
    if not isinstance(calibration, dict):
        return {}
    try:
        summary = calibration["backtest"]["cost"]["summary"]
    except (KeyError, TypeError):  # an artifact built before the backtest existed
        keys = ("cost_backtest_p80", "cost_backtest_estimate", "cost_backtest_n")
        return dict.fromkeys(keys, "(not checked in this build)")
    if not summary.get("n"):
        return dict.fromkeys(("cost_backtest_p80", "cost_backtest_estimate"), "(too few)")
    return {
        # the tie-split share the verdict judges (an older artifact: at or below)
        "cost_backtest_p80": fmt_pct(summary.get("share_tiesplit_p80", summary["share_le_p80"])),
        "cost_backtest_estimate": fmt_pct(summary["share_le_estimate"]),
        "cost_backtest_n": str(int(summary["n"])),
    }


def _loop_figures(reports_dir: Path, quarters: list[dict[str, Any]]) -> dict[str, str]:
    """The latest review, and the latest approved quarter with its change log."""
    from helpers.report.review import loop_figures

    reviews = [
        q
        for q in quarters
        if (published_artifacts_dir(reports_dir, q["quarter"]) / REVIEW).is_file()
    ]
    review = (
        _read_optional(published_artifacts_dir(reports_dir, reviews[0]["quarter"]) / REVIEW)
        if reviews
        else None
    )
    approved = [
        q for q in quarters if (q["manifest"].get("params") or {}).get("status") == "approved"
    ]
    manifest = approved[0]["manifest"] if approved else {}
    return loop_figures(review, manifest.get("params"), manifest.get("changes"), missing=NOT_BUILT)


def list_chapters(root: Path) -> list[dict[str, str]]:
    """The SOP chapters in ``<root>/playbook/*.md``, in file-name order, with their titles."""
    chapters = []
    for path in sorted((Path(root) / "playbook").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        title = next(
            (line[2:].strip() for line in text.splitlines() if line.startswith("# ")), path.stem
        )
        summary = next(
            (
                line.strip()
                for line in text.splitlines()
                if line.strip() and not line.startswith("#") and "{{" not in line
            ),
            "",
        )
        chapters.append(
            {
                "slug": path.stem,
                "title": title,
                "summary": summary.rstrip(".") if len(summary) < 160 else "",
                "path": path,
            }
        )
    return chapters


def render_chapter(text: str, figures: Mapping[str, str]) -> str:
    """An SOP chapter's Markdown to HTML, its ``{{ figures.x }}`` placeholders filled.

    An unknown placeholder is an error (a typo would otherwise print nothing).
    """
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    try:
        filled = env.from_string(text).render(figures=dict(figures))
    except jinja2.UndefinedError as exc:
        from helpers.core.errors import InputError

        raise InputError(
            f"a playbook chapter quotes a figure that does not exist ({exc}); "
            f"valid figures: {', '.join(sorted(figures))}"
        ) from exc
    return render_markdown(filled)


def publish_site_pages(reports_dir: Path, root: Path) -> None:
    """Write ``reports/index.html`` and ``reports/sop/<chapter>.html``, each atomically.

    Quarters are found from ``reports/<Q>/build/manifest.json``; the quarter being
    decided comes first, the last approved plan beside it, the rest under Archive
    (:func:`home_quarters`). Chapter figures come from the
    latest quarter's artifacts and params.
    """
    reports_dir = Path(reports_dir)
    quarters = list_quarters(reports_dir)
    figures = collect_figures(reports_dir)
    chapters = list_chapters(Path(root))
    latest_quarter = quarters[0]["quarter"] if quarters else None

    for chapter in chapters:
        chapter["href"] = f"sop/{chapter['slug']}.html"

    def link(other: Mapping[str, Any]) -> dict[str, str]:
        return {"title": other["title"], "href": f"{other['slug']}.html"}

    for index, chapter in enumerate(chapters):
        body = render_chapter(chapter["path"].read_text(encoding="utf-8"), figures)
        page = render_page(
            "chapter.html.j2",
            page=f"sop/{chapter['slug']}.html",
            current="sop",
            nav_quarter=latest_quarter,
            title=chapter["title"],
            body=_safe(body),
            previous=link(chapters[index - 1]) if index > 0 else None,
            next=link(chapters[index + 1]) if index + 1 < len(chapters) else None,
            figures_quarter=latest_quarter,
        )
        write_text_atomic(reports_dir / "sop" / f"{chapter['slug']}.html", page)

    summaries = [_quarter_card(q) for q in quarters]
    home = render_page(
        "home.html.j2",
        page=None,
        current="home",
        nav_quarter=latest_quarter,
        title="Home",
        **home_quarters(summaries),
        chapters=chapters,
    )
    write_text_atomic(reports_dir / "index.html", home)


def home_quarters(cards: list[dict[str, Any]]) -> dict[str, Any]:
    """The home page's quarters from their cards (newest first): the quarter being
    decided first (the newest, when it is not approved: "Draft — for approval"),
    the last approved plan beside it, every other quarter in the archive.

    A draft older than the last approved plan is not being decided: it goes to
    the archive with its draft badge."""
    approved = next((c for c in cards if c["status"] == "approved"), None)
    deciding = cards[0] if cards and cards[0]["status"] != "approved" else None
    current = [c for c in (deciding, approved) if c is not None]
    return {
        "deciding": deciding,
        "approved": approved,
        "archive": [c for c in cards if all(c is not k for k in current)],
    }


def _quarter_card(found: Mapping[str, Any]) -> dict[str, Any]:
    words = _words()
    quarter, manifest = found["quarter"], found["manifest"]
    params = manifest.get("params") or {}
    entries = manifest.get("notebooks") or []
    return {
        "quarter": quarter,
        "title": manifest.get("title") or quarter,
        "href": f"{quarter}/index.html",
        "brief": f"{quarter}/brief.html" if (found["folder"] / "brief.html").is_file() else None,
        "calibration": f"{quarter}/calibration.html",
        "roadmap": f"{quarter}/roadmap.html",
        "built_at": _short_time(manifest.get("built_at")),
        "status": params.get("status"),
        "review": f"{quarter}/review.html"
        if any(e.get("key") == "review" for e in entries)
        else None,
        "budget": words.card_budget(params),
        "decision": words.card_decision(
            _read_optional(published_artifacts_dir(found["folder"].parent, quarter) / ROADMAP),
            params.get("currency", "USD"),
        ),
        "decision_href": f"{quarter}/roadmap.html",
        "cases": sum(1 for e in entries if str(e.get("key", "")).startswith("case:")),
        "failed": sum(1 for e in entries if e.get("status") == "failed"),
    }


def _safe(markup: str):
    from markupsafe import Markup

    return Markup(markup)


__all__ = [
    "NOT_BUILT",
    "clean_html",
    "collect_figures",
    "find_notebook_error",
    "list_chapters",
    "list_quarters",
    "publish_site_pages",
    "render_chapter",
    "render_markdown",
    "render_notebook",
    "render_quarter_page",
]
