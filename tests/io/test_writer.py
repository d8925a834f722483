"""The files of ``zengshou analyze`` (lib.io.writer): every CSV text cell is neutralised."""

from __future__ import annotations

import csv

from lib.io.writer import write_analysis
from lib.policy import default_policy
from lib.rules.analysis import analyze
from factories import household, income_row, input_data

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
