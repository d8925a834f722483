"""The registry of problem codes (lib/codes.py): every code the program writes is registered."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from lib.catalogue import REJECT_COLUMNS
from lib.codes import CODES, CODE_BY_NAME, code, empty_problems, problem_columns, sentence

LIB = Path(__file__).resolve().parents[1] / "lib"


def test_codes_are_unique_and_well_formed():
    names = [c.code for c in CODES]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[EW]\d{3}", n) for n in names)
    assert all(c.label for c in CODES)


def test_every_code_written_in_lib_is_registered():
    used = set()
    for path in LIB.rglob("*.py"):
        if path.name == "codes.py":
            continue
        used |= set(re.findall(r"[\"']([EW]\d{3})[\"']", path.read_text(encoding="utf-8")))
    assert used, "the scan found no code at all"
    assert used <= set(CODE_BY_NAME), sorted(used - set(CODE_BY_NAME))


def test_an_unknown_code_fails_where_it_is_named():
    with pytest.raises(KeyError, match="E999"):
        code("E999")


def test_sentences_fill_their_fields_from_columns():
    frame = pl.DataFrame({"first": [3, 12]})
    assert frame.select(sentence("E106", first=pl.col("first"))).to_series().to_list() == [
        "与第3行重复，本行未使用",
        "与第12行重复，本行未使用",
    ]
    assert pl.select(sentence("E108")).item() == CODE_BY_NAME["E108"].template


def test_problem_lines_have_the_rejects_schema():
    rows = pl.DataFrame({"来源行号": [5], "户编号": ["0001"]})
    out = rows.select(problem_columns("收入", "来源行号", "户编号", pl.col("户编号"), "E401", "不在户信息中"))
    assert tuple(out.columns) == REJECT_COLUMNS
    assert out.schema == empty_problems().schema
    assert out.row(0) == ("收入", 5, "户编号", "0001", "E401", "不在户信息中")
