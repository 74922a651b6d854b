"""The model: computation over loaded inputs (ranges, cash flow, cases, templates,
calibration, selection, decisions, review, the quarter model). No file is opened
here and no sentence is written."""
