"""Published estimate-versus-actual datasets turned into actuals registers.

Each loader reads one dataset in place (never copied into the project) and
returns a canonical actuals frame: id, name, category, completed (datetime,
NaT when unknown) and metric pairs ``<metric>_estimate`` / ``<metric>_actual``.
Durations are in weeks (days ÷ 7), effort in the dataset's person-hours.
Rows the dataset leaves blank stay in the frame as NaN: calibration counts them.

- ``load_kitchenham``: Kitchenham et al. (2002), 145 projects of one
  outsourcing company (ARFF). Category: ``Project.type`` (``unknown`` when blank).
- ``load_rk31``: Moløkken-Østvold & Jørgensen (2005), 44 Norwegian projects
  (xz CSV). Category: ``Model`` (flex or seq; ``unknown`` when blank).
- ``load_little06``: Little (2006), 121 Landmark Graphics projects, weekly
  re-estimates (xz CSV): one row per project, first estimate against actual.
  Category: ``all`` (the data has no project type).
- ``load_renzo``: Jones (2019), the Renzo Pomodoro dataset, 17,764 personal
  tasks (xz CSV), estimate against actual in pomodoros, dated. Category: the
  task's first tag (``untagged`` when none).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from helpers.core.errors import InputError, Problem

DATASETS = {
    "kitchenham": "kitchenham/kitchenham.arff",
    "rk31": "rk31/RK31-surveycostestim.csv.xz",
    "little06": "little06/Little06.csv.xz",
    "renzo": "renzo/all-tasks.csv.xz",
}
DAYS_PER_WEEK = 7.0


def dataset_path(dataset: str, datasets_dir: str | Path) -> Path:
    """The file of a published ``dataset`` (kitchenham, rk31, little06) under ``datasets_dir``."""
    if dataset not in DATASETS:
        raise InputError(
            Problem("dataset", f"unknown dataset {dataset!r}: choose one of {', '.join(DATASETS)}")
        )
    return Path(datasets_dir) / DATASETS[dataset]


def load_dataset(dataset: str, datasets_dir: str | Path) -> pd.DataFrame:
    """The actuals register of a published ``dataset`` found under ``datasets_dir``."""
    loaders = {
        "kitchenham": load_kitchenham,
        "rk31": load_rk31,
        "little06": load_little06,
        "renzo": load_renzo,
    }
    return loaders[dataset](dataset_path(dataset, datasets_dir))


def _check_exists(path: Path) -> None:
    if not path.is_file():
        raise InputError(
            Problem(
                str(path),
                "no such file: the published datasets live in ../shared/datasets "
                "beside the project; pass the folder that holds them",
            )
        )


def _missing_columns(path: Path, frame: pd.DataFrame, needed: list[str]) -> None:
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise InputError(
            Problem(
                str(path),
                f"missing column(s) {', '.join(absent)}: is this the published file? "
                f"columns found: {', '.join(map(str, frame.columns))}",
            )
        )


def read_arff(path: str | Path) -> pd.DataFrame:
    """An ARFF file as a frame: columns from ``@attribute`` lines, ``?`` as missing (text cells)."""
    path = Path(path)
    _check_exists(path)
    names: list[str] = []
    rows: list[list[str]] = []
    in_data = False
    text = path.read_text(encoding="utf-8-sig")
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("%"):
            continue
        lowered = stripped.lower()
        if not in_data and lowered.startswith("@attribute"):
            names.append(next(csv.reader(io.StringIO(stripped.split(None, 1)[1]), delimiter=" ")))
            names[-1] = names[-1][0]
        elif lowered.startswith("@data"):
            in_data = True
        elif in_data:
            rows.append(next(csv.reader(io.StringIO(stripped), skipinitialspace=True)))
    bad = [i for i, row in enumerate(rows) if len(row) != len(names)]
    if not names or bad:
        raise InputError(
            Problem(
                str(path),
                f"not a readable ARFF file: {len(names)} attributes, "
                f"{len(bad)} data rows of another width",
            )
        )
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    return frame.replace("?", None)


def _number(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype(float)


def _text(series: pd.Series) -> pd.Series:
    """Text cells, ``unknown`` where the dataset leaves them blank."""
    return series.astype("string").fillna("unknown").astype(str)


def load_kitchenham(path: str | Path) -> pd.DataFrame:
    """Kitchenham et al. (2002): first estimate against actual, effort (hours), duration (weeks).

    Estimated duration is the estimated completion date less the actual start;
    ``completed`` is the actual start plus the actual duration. Extra columns:
    client, estimate_method, function_points.
    """
    path = Path(path)
    raw = read_arff(path)
    needed = [
        "Project",
        "Client.code",
        "Project.type",
        "Actual.start.date",
        "Actual.duration",
        "Actual.effort",
        "Estimated.completion.date",
        "First.estimate",
        "First.estimate.method",
    ]
    _missing_columns(path, raw, needed)
    start = pd.to_datetime(raw["Actual.start.date"], errors="coerce")
    duration_days = _number(raw["Actual.duration"])
    planned_end = pd.to_datetime(raw["Estimated.completion.date"], errors="coerce")
    return pd.DataFrame(
        {
            "id": "K" + raw["Project"].astype(str),
            "name": "Kitchenham project " + raw["Project"].astype(str),
            "category": _text(raw["Project.type"]),
            "completed": start + pd.to_timedelta(duration_days, unit="D"),
            "effort_estimate": _number(raw["First.estimate"]),
            "effort_actual": _number(raw["Actual.effort"]),
            "duration_estimate": (planned_end - start).dt.days.astype(float) / DAYS_PER_WEEK,
            "duration_actual": duration_days / DAYS_PER_WEEK,
            "client": "client " + raw["Client.code"].astype(str),
            "estimate_method": _text(raw["First.estimate.method"]),
            "function_points": _number(raw["Adjusted.function.points"]),
        }
    )


def load_rk31(path: str | Path) -> pd.DataFrame:
    """Moløkken-Østvold & Jørgensen (2005): effort (hours) and duration (weeks), per project.

    Category is the development model (``flex`` or ``seq``; ``unknown`` when the
    survey left it blank). Extra columns: client (external or internal), method.
    """
    path = Path(path)
    _check_exists(path)
    raw = pd.read_csv(path, compression="xz", na_values=["NA"])
    needed = ["Nr", "Model", "Client", "Method", "Estimate_hrs", "Actual_hrs"]
    needed += ["Estimate_days", "Actual_days"]
    _missing_columns(path, raw, needed)
    model = raw["Model"].astype("string").str.lower().fillna("unknown")
    return pd.DataFrame(
        {
            "id": "RK" + raw["Nr"].astype(str),
            "name": "Survey project " + raw["Nr"].astype(str),
            "category": model.astype(str),
            "completed": pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]"),
            "effort_estimate": _number(raw["Estimate_hrs"]),
            "effort_actual": _number(raw["Actual_hrs"]),
            "duration_estimate": _number(raw["Estimate_days"]) / DAYS_PER_WEEK,
            "duration_actual": _number(raw["Actual_days"]) / DAYS_PER_WEEK,
            "client": raw["Client"].astype("string").str.lower().fillna("unknown").astype(str),
            "method": raw["Method"].astype("string").str.lower().fillna("unknown").astype(str),
        }
    )


def load_little06(path: str | Path) -> pd.DataFrame:
    """Little (2006): one row per project, duration (weeks) from start to first estimate vs release.

    Estimated duration = first estimated release − start; actual = actual
    release − start; ``completed`` is the actual release. Extra column:
    weekly_estimates (how many re-estimates the project recorded).
    """
    path = Path(path)
    _check_exists(path)
    raw = pd.read_csv(path, compression="xz", dtype=str)
    needed = ["Project Code", "Start Date", "First Est", "Actual Release"]
    _missing_columns(path, raw, needed)
    raw = raw.dropna(subset=["Project Code"])
    projects = raw.groupby("Project Code", sort=False)
    first = projects[["Start Date", "First Est", "Actual Release"]].first()
    code = pd.Series(first.index.astype(str), index=first.index)
    code = code.str.replace(r"\.0$", "", regex=True)

    def date(column: str) -> pd.Series:
        return pd.to_datetime(first[column], format="%m/%d/%y", errors="coerce")

    start, estimate, release = date("Start Date"), date("First Est"), date("Actual Release")
    frame = pd.DataFrame(
        {
            "id": "L" + code,
            "name": "Landmark project " + code,
            "category": "all",
            "completed": release,
            "duration_estimate": (estimate - start).dt.days.astype(float) / DAYS_PER_WEEK,
            "duration_actual": (release - start).dt.days.astype(float) / DAYS_PER_WEEK,
            "weekly_estimates": projects.size().astype(int),
        }
    )
    return frame.reset_index(drop=True)


def load_renzo(path: str | Path) -> pd.DataFrame:
    """Jones (2019), Renzo Pomodoro: one row per task, effort in pomodoros (25-minute units).

    ``completed`` is the task's date; category its first tag (``@planning`` …,
    ``untagged`` when blank). Tasks without an estimate or actual stay as NaN.
    """
    path = Path(path)
    _check_exists(path)
    raw = pd.read_csv(path, compression="xz", dtype=str, keep_default_na=False)
    _missing_columns(path, raw, ["X.words", "date", "estimate", "actual"])
    tag = raw["X.words"].str.split(",").str[0].str.strip()
    return pd.DataFrame(
        {
            "id": "R" + pd.Series(range(1, len(raw) + 1), index=raw.index).astype(str),
            "name": "Renzo task " + raw["description"].astype(str),
            "category": tag.where(tag != "", "untagged"),
            "completed": pd.to_datetime(raw["date"], format="%Y-%m-%d", errors="coerce"),
            "effort_estimate": _number(raw["estimate"].replace("NA", None)),
            "effort_actual": _number(raw["actual"].replace("NA", None)),
        }
    )


# --- the real-history example ------------------------------------------------


def find_dataset(dataset: str, datasets_dir: str | Path) -> Path | None:
    """The dataset's file, or None when the datasets folder (or the file) is absent."""
    path = dataset_path(dataset, datasets_dir)
    return path if path.is_file() else None
