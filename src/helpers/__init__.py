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
