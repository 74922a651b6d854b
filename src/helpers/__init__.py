"""The Marketing–IT decision playbook: all logic behind the notebooks.

Modules, one concern each:

- ``errors``: the exception hierarchy.
- ``params``, ``registers``, ``inputs``: loading and validating a quarter's inputs.
- ``fmt``: formatting numbers for reports.
- ``ranges``, ``cashflow``, ``business_case``: business cases as ranges.
- ``calibration``: estimates against past actuals.
- ``scoring``, ``selection``: the roadmap.
- ``charts``: figures (return a figure, never show or save).
- ``artifacts``: the JSON files notebooks hand each other.
- ``pipeline``, ``site``: executing notebooks and publishing the site.
- ``cli``: the ``playbook`` command.
"""

__version__ = "0.1.0"

# jsonschema (which nbformat, and so papermill and nbconvert, import) imports
# rfc3987_syntax when it is installed (jupyter_events asks for it), and that module
# compiles 38 lark grammars as it is imported: 1.5-2.5 s in every process that reads
# a notebook (the build, its workers, each CLI call, each Dask worker). The playbook
# checks no "iri" format; without the module jsonschema leaves that format unchecked,
# as it does wherever the package is not installed.
import sys as _sys  # noqa: E402

_sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
