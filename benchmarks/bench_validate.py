"""Validating large registers: generated Initiatives registers as CSV and as ``.xlsx``.

Run: ``.venv/bin/python benchmarks/bench_validate.py [--sizes 10000 100000] [--repeat 1]``.
Writes each register into a temporary folder, then reads and checks it as
``playbook validate`` does (``registers.load_initiatives``: read, parse every
cell, check every row) and prints one row per register: wall seconds (best of
``repeat``), CPU seconds in brackets (which the machine's other load does not
inflate) and the target (issue 26): 10,000 rows in under 5 s, 100,000 rows in
under 30 s, on an idle machine ("cpu only": the CPU seconds meet it, the wall
seconds do not, because other processes share the CPUs).

The ``.xlsx`` is written as Excel writes one (shared strings, a zip of XML
parts) directly with ``zipfile``: openpyxl would take minutes to write 100,000 rows.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from helpers.load.params import RegisterSource
from helpers.load.registers import load_initiatives
from helpers.load.xlsx import column_letter

TARGETS = {10_000: 5.0, 100_000: 30.0}  # rows -> seconds (issue 26)
CATEGORIES = ("email", "web", "crm", "data", "analytics", "paid_media")
COLUMNS = (
    "id", "name", "category", "owner", "status",
    "benefit_low", "benefit_likely", "benefit_high", "cost_low", "cost_likely", "cost_high",
    "duration_low", "duration_likely", "duration_high", "effort_low", "effort_likely",
    "effort_high", "run_cost", "ramp_months", "variant_of", "depends_on", "must_do",
    "strategic_fit", "reach", "impact", "confidence",
)  # fmt: skip


def generate(n: int, seed: int = 26) -> list[list[object]]:
    """``n`` valid initiatives, one in ten depending on the one before it."""
    rng = np.random.default_rng(seed)
    low = rng.integers(10_000, 100_000, n)
    categories = rng.integers(0, len(CATEGORIES), n)
    rows = []
    for i in range(n):
        cost = int(low[i])
        rows.append(
            [
                f"I{i:06d}", f"Initiative {i}", CATEGORIES[categories[i]], "Ann Lee", "proposed",
                2 * cost, 3 * cost, 5 * cost, cost, round(1.4 * cost), 2 * cost,
                4, 6, 10, 5, 8, 12, 1000, 3,
                "", f"I{i - 1:06d}" if i % 10 == 9 else "", "false",
                3, 1000, 1, 0.5,
            ]
        )  # fmt: skip
    return rows


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    lines = [",".join(COLUMNS)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: list[list[object]], sheet: str = "Initiatives") -> Path:
    """A workbook as Excel writes it: text in shared strings, numbers in cells."""
    strings: dict[str, int] = {}
    body = []
    for r, row in enumerate([list(COLUMNS), *rows], start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{column_letter(c)}{r}"
            if value == "":
                continue
            if isinstance(value, str):
                index = strings.setdefault(value, len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        body.append(f'<row r="{r}">{"".join(cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            f'<sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{main}"><sheetData>{"".join(body)}</sheetData></worksheet>'
        ),
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
            + "</sst>"
        ),
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def measure(source: RegisterSource | Path, repeat: int) -> tuple[float, float, int]:
    best_wall, best_cpu, rows = float("inf"), float("inf"), 0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        frame = load_initiatives(source)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        rows = len(frame)
    return best_wall, best_cpu, rows


def _verdict(wall: float, cpu: float, target: float) -> str:
    """ "yes" within the target; "cpu only" when only the CPU seconds are (a busy machine)."""
    if wall < target:
        return "yes"
    return "cpu only" if cpu < target else "NO"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=sorted(TARGETS))
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'rows':>8}  {'format':<6}  {'file MB':>7}  {'seconds (cpu)':>15}  {'target':>7}  ok")
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as folder:
        for n in args.sizes:
            rows = generate(n)
            files = {
                "csv": write_csv(Path(folder) / f"initiatives-{n}.csv", rows),
                "xlsx": write_xlsx(Path(folder) / f"initiatives-{n}.xlsx", rows),
            }
            for kind, path in files.items():
                source = (
                    RegisterSource(path=str(path), sheet="Initiatives") if kind == "xlsx" else path
                )
                wall, cpu, read = measure(source, args.repeat)
                assert read == n, (read, n)
                target = TARGETS.get(n)
                ok = "" if target is None else _verdict(wall, cpu, target)
                shown = f"{wall:.1f} ({cpu:.1f})"
                limit = "" if target is None else f"< {target:g} s"
                size = path.stat().st_size / 1e6
                print(f"{n:>8,}  {kind:<6}  {size:>7.1f}  {shown:>15}  {limit:>7}  {ok}")


if __name__ == "__main__":
    main()
