"""Loading and checking: params, registers, workbook, templates, the ledger
(``params/approved/``), and every path under ``reports/``."""
