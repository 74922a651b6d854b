"""Figures for the reports: each function returns a matplotlib Figure, never shows or saves it."""
