"""The report layer: documents in, words and tables out.

Domain modules (``business_case``, ``calibration``, ``selection``, ...) compute
numbers and plain documents (the JSON artifacts). This package turns those
documents into sentences, labels and tables, once, for every place that shows
them: the notebooks, the site pages and the command line. Charts live beside it
in ``helpers.charts``.

- ``markdown``: Markdown that reads the same in JupyterLab and on the site
  (``$`` and register text escaped in one place).
- ``labels``: the words for levels, methods, recommendations and decisions.
- ``tables``: the escaped, stable-id Styler every report table goes through.
- one module per report: ``case``, ``calibration``, ``roadmap``, ``quarter``.
"""
