"""The result writer (lib/io/writer.py): the files `analyze` leaves, readable by Excel and polars."""

from __future__ import annotations

import csv
import json

import polars as pl

from factories import household, income_row, input_data, measure_row
from lib.io.writer import flatten_lists, write_analysis
from lib.policy import default_policy
from lib.rules.analysis import analyze


def small_analysis():
    data = input_data(
        [household("A", 村="南岗村", 家庭人口数=2), household("B", 村="北山村", 家庭人口数=1)],
        [income_row("A", 2021, 务工收入=20000), income_row("A", 2022, 务工收入=8000),
         income_row("B", 2021, 务工收入=9000), income_row("B", 2022, 务工收入=9500)],
        [measure_row("A", "M1", 预计增收=6000)],
    )
    return analyze(data, default_policy())


def test_every_file_is_written_and_reads_back(tmp_path):
    analysis = small_analysis()
    written = write_analysis(analysis, tmp_path / "out")
    names = {p.name for p in written}
    assert {"households.csv", "rejects.csv", "summary.json", "households.parquet", "risks.parquet"} <= names
    assert all(p.is_file() for p in written)
    assert not list((tmp_path / "out").glob("*.tmp*"))  # atomic writes leave no temporary files
    back = pl.read_parquet(tmp_path / "out" / "households.parquet")
    assert back.equals(analysis.households)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["户数"] == 2 and summary["收入研判"]["减收"] == 1


def test_csv_files_carry_a_bom_and_join_lists(tmp_path):
    write_analysis(small_analysis(), tmp_path)
    for path in tmp_path.glob("*.csv"):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path.name
    rows = pl.read_csv(tmp_path / "households.csv", infer_schema=False)
    a = rows.filter(pl.col("户编号") == "A").row(0, named=True)
    assert a["减收风险点"] == "务工减收" and a["收入研判"] == "减收"


def test_findings_file_always_written_in_one_shape(tmp_path):
    analysis = small_analysis()
    written = {p.name for p in write_analysis(analysis, tmp_path)}
    assert "findings.csv" in written  # an empty one says "nothing found", not "not checked"
    findings = pl.read_csv(tmp_path / "findings.csv", infer_schema=False)
    assert findings.columns[:5] == ["户编号", "村", "代码", "级别", "说明"]
    assert findings.height == analysis.findings.height + analysis.quality.height


def test_flatten_lists_joins_with_the_chinese_separator():
    frame = pl.DataFrame({"措施": [["M1", "M5"], []], "n": [1, 2]})
    assert flatten_lists(frame)["措施"].to_list() == ["M1；M5", ""]


HOSTILE_VILLAGE = "=HYPERLINK(\"http://x\")村"
BIDI_VILLAGE = "\u202e@北山村"


def _rows(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_csv_text_cells_cannot_start_a_formula(tmp_path):
    hh = [household("A", 村=HOSTILE_VILLAGE), household("B", 村=BIDI_VILLAGE)]
    inc = [
        income_row("A", 2021, 务工收入=20000), income_row("A", 2022, 务工收入=10000, 务工月数=5),
        income_row("B", 2021, 务工收入=9000), income_row("B", 2022, 务工收入=9500),
    ]
    written = write_analysis(analyze(input_data(hh, inc), default_policy()), tmp_path)
    csvs = [p for p in written if p.suffix == ".csv"]
    ledgers = [p for p in csvs if p.name.startswith("台账_")]
    assert ledgers and (tmp_path / "households.csv") in csvs

    households = _rows(tmp_path / "households.csv")
    villages = [row[households[0].index("村")] for row in households[1:]]
    assert villages == ["'" + HOSTILE_VILLAGE, "'@北山村"]  # apostrophe added, bidi control gone
    change = households[0].index("人均纯收入变化")
    assert any(row[change].startswith("-") for row in households[1:])  # a loss stays a number
    for path in csvs:
        for row in _rows(path)[1:]:
            for cell in row:
                assert "\u202e" not in cell, path.name
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    float(cell)  # only a number may start like that
