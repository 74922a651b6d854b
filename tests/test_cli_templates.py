"""``playbook templates`` through the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from helpers.cli import main

SHIPPED = (
    "conversion_uplift",
    "cost_avoided",
    "customer_value",
    "customer_value_v2",
    "email_program",
    "lead_to_sales",
    "paid_search_pruning",
    "time_saved",
)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_templates_lists_every_template_with_drivers_and_formula(root):
    result = invoke("templates", "--root", str(root))
    assert result.exit_code == 0, result.output
    for name in SHIPPED:
        assert f"(`{name}`)" in result.output
    assert "Annual benefit = `non_converting_spend * share_cut`" in result.output
    assert "- `hours_saved` (hours per person per year): Hours each person" in result.output
    assert "\\" not in result.output  # terminal text carries no Markdown escapes


def test_templates_json_is_one_document_with_drivers(root):
    result = invoke("templates", "--json", "--root", str(root))
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert sorted(document["templates"]) == list(SHIPPED)
    email = document["templates"]["email_program"]
    assert email["formula"] == (
        "list_size * sends_per_year * conversion_uplift * value_per_conversion"
    )
    drivers = {d["name"]: d for d in email["drivers"]}
    assert drivers["list_size"]["volume"] is True
    assert drivers["conversion_uplift"]["volume"] is False
    assert set(drivers["list_size"]) == {"name", "unit", "description", "evidence", "volume", "kpi"}
    assert drivers["conversion_uplift"]["kpi"] is True and drivers["list_size"]["kpi"] is False


def test_templates_names_filter_the_listing(root):
    result = invoke("templates", "time_saved", "--json", "--root", str(root))
    assert result.exit_code == 0, result.output
    assert list(json.loads(result.output)["templates"]) == ["time_saved"]


def test_templates_unknown_name_exits_2_listing_the_valid_ones(root):
    result = invoke("templates", "email", "--root", str(root))
    assert result.exit_code == 2
    assert "no template 'email'; templates: conversion_uplift, cost_avoided" in result.output


def test_templates_hostile_formula_exits_2_naming_the_file(tmp_path: Path, root):
    folder = tmp_path / "playbook" / "templates"
    shutil.copytree(root / "playbook" / "templates", folder)
    path = folder / "time_saved.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "formula: hours_saved * people * hourly_cost",
            "formula: __import__('os').system('true') * hours_saved * people * hourly_cost",
        ),
        encoding="utf-8",
    )
    result = invoke("templates", "--root", str(tmp_path))
    assert result.exit_code == 2
    assert "time_saved.yaml, key formula: calls __import__(...)" in result.output
