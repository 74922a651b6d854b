"""Tests of helpers.load.history: the published datasets as actuals registers."""

from __future__ import annotations

import lzma
import math

import numpy as np
import pytest

from helpers.core.errors import InputError
from helpers.load import history
from helpers.model import calibration

ARFF = """\ufeff@relation kitchenham

@attribute Project string
@attribute Client.code {1,2,3,4,5,6}
@attribute Project.type {A,C,D,P,Pr,U}
@attribute Actual.start.date date "YYYY-MM-DD"
@attribute Actual.duration numeric
@attribute Actual.effort numeric
@attribute Adjusted.function.points numeric
@attribute Estimated.completion.date date "YYYY-MM-DD"
@attribute First.estimate numeric
@attribute First.estimate.method {A,C,CAE,D,EO,W}

@data
1,1,A,1997-01-01,70,485,101.65,1997-01-29,495,EO
2,3,?,1997-06-16,14,990,?,1997-06-30,?,A
"""

RK31 = """\
Nr,Model,Client,Method,Estimate_hrs,Actual_hrs,BREbias,\
Estimate_days,Actual_days,BREbias,Functionality
1,Flex,External,Expert,330.0,319.0,-0.03,35,42,0.00,100
30,NA,Internal,Expert,6728.0,NA,NA,151,NA,NA,NA
"""

LITTLE = """Project Code,Week End Date,Est EndDate,First Est,Actual Release,Start Date
5,01/07/00,02/01/00,02/01/00,03/01/00,01/01/00
5,01/14/00,02/15/00,02/01/00,03/01/00,01/01/00
8,01/07/00,01/29/00,01/29/00,01/22/00,01/01/00
"""


@pytest.fixture
def kitchenham_file(tmp_path):
    path = tmp_path / "kitchenham.arff"
    path.write_text(ARFF, encoding="utf-8")
    return path


@pytest.fixture
def rk31_file(tmp_path):
    path = tmp_path / "rk31.csv.xz"
    path.write_bytes(lzma.compress(RK31.encode()))
    return path


@pytest.fixture
def little_file(tmp_path):
    path = tmp_path / "little.csv.xz"
    path.write_bytes(lzma.compress(LITTLE.encode()))
    return path


def test_read_arff_columns_and_missing_values(kitchenham_file):
    frame = history.read_arff(kitchenham_file)
    assert list(frame.columns)[:3] == ["Project", "Client.code", "Project.type"]
    assert len(frame) == 2
    assert frame.loc[1, "First.estimate"] is None


def test_read_arff_ragged_rows_are_input_error(tmp_path):
    path = tmp_path / "bad.arff"
    path.write_text("@attribute a numeric\n@attribute b numeric\n@data\n1,2\n3\n")
    with pytest.raises(InputError, match="not a readable ARFF file: 2 attributes, 1 data rows"):
        history.read_arff(path)


def test_load_kitchenham_canonical_frame(kitchenham_file):
    frame = history.load_kitchenham(kitchenham_file)
    first = frame.iloc[0]
    assert first["id"] == "K1" and first["category"] == "A"
    assert first["effort_estimate"] == 495 and first["effort_actual"] == 485
    assert first["duration_estimate"] == pytest.approx(4.0)  # 28 days
    assert first["duration_actual"] == pytest.approx(10.0)  # 70 days
    assert str(first["completed"].date()) == "1997-03-12"
    assert first["client"] == "client 1" and first["estimate_method"] == "EO"
    assert math.isnan(frame.iloc[1]["effort_estimate"])  # kept, not dropped
    assert frame.iloc[1]["category"] == "unknown"


def test_load_rk31_blank_model_is_unknown_and_row_kept(rk31_file):
    frame = history.load_rk31(rk31_file)
    assert list(frame["id"]) == ["RK1", "RK30"]
    assert list(frame["category"]) == ["flex", "unknown"]
    assert frame.loc[0, "duration_estimate"] == pytest.approx(5.0)
    assert frame.loc[0, "duration_actual"] == pytest.approx(6.0)
    assert math.isnan(frame.loc[1, "effort_actual"])
    assert frame["completed"].isna().all()


def test_load_little06_one_row_per_project_first_estimate(little_file):
    frame = history.load_little06(little_file)
    assert list(frame["id"]) == ["L5", "L8"]
    assert frame.loc[0, "duration_estimate"] == pytest.approx(31 / 7)
    assert frame.loc[0, "duration_actual"] == pytest.approx(60 / 7)
    assert list(frame["weekly_estimates"]) == [2, 1]
    assert (frame["category"] == "all").all()


def test_load_rk31_missing_file_says_where_to_find_it(tmp_path):
    with pytest.raises(InputError, match="no such file: the published datasets live in"):
        history.load_rk31(tmp_path / "nope.csv.xz")


def test_load_little06_wrong_file_names_missing_columns(tmp_path):
    path = tmp_path / "other.csv.xz"
    path.write_bytes(lzma.compress(b"a,b\n1,2\n"))
    with pytest.raises(InputError, match="missing column.*Project Code.*is this the published"):
        history.load_little06(path)


def test_dataset_path_unknown_lists_choices():
    with pytest.raises(InputError, match="unknown dataset 'nasa': choose one of kitchenham"):
        history.dataset_path("nasa", ".")


def test_load_kitchenham_published_accuracy(shared_datasets):
    frame = history.load_dataset("kitchenham", shared_datasets)
    assert len(frame) == 145
    relative_error = (frame["effort_actual"] - frame["effort_estimate"]).abs() / frame[
        "effort_actual"
    ]
    assert relative_error.mean() == pytest.approx(0.26, abs=0.02)
    assert (relative_error <= 0.25).mean() == pytest.approx(0.63, abs=0.03)


def test_load_rk31_published_counts(shared_datasets):
    frame = history.load_dataset("rk31", shared_datasets)
    assert len(frame) == 44
    assert frame["effort_actual"].isna().sum() == 2  # "two projects lack hours"


def test_load_little06_published_average_duration(shared_datasets):
    frame = history.load_dataset("little06", shared_datasets)
    assert len(frame) == 121
    assert (frame["duration_actual"] * 7).mean() == pytest.approx(329, abs=1)
    ratio = frame["duration_actual"] / frame["duration_estimate"]
    assert (ratio > 1).mean() > 0.5
    assert np.isfinite(ratio).all()


def test_calibrate_dataset_absent_folder_gives_empty_report(tmp_path):
    ratios, doc = calibration.calibrate_dataset("rk31", tmp_path / "missing")
    assert ratios.empty and doc["metrics"] == {} and doc["projects"] == 0
