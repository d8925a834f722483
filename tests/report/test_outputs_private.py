"""`outputs/` holds only what a leader may receive: no full resident ID or phone number in any
file under it (HTML, the xlsx's XML, CSV, parquet, notebooks), whatever the file type."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pytest

from lib.catalogue import SOURCE_ROW
from lib.demo.district import generate_households
from lib.policy import default_policy
from lib.report.pipeline import report_from_analysis
from lib.rules.analysis import analyze
from tests.factories import input_data

pytestmark = pytest.mark.slow


def _texts(path: Path) -> list[str]:
    """Every text the file holds, as a reader of that file type would see it."""
    data = path.read_bytes()
    if zipfile.is_zipfile(path):  # xlsx: each part's XML
        with zipfile.ZipFile(path) as book:
            return [book.read(n).decode("utf-8", "replace") for n in book.namelist()]
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
        # lists of structs and the like (a snapshot's 措施) are read as JSON lines
        nested = [c for c, d in frame.schema.items() if d.is_nested() and d != pl.List(pl.String)]
        texts = [frame.select(nested).write_ndjson()] if nested else []
        frame = frame.drop(nested)
        lists = [c for c, d in frame.schema.items() if isinstance(d, pl.List)]
        frame = frame.with_columns(pl.col(c).list.join("；") for c in lists)
        return [*texts, frame.select(pl.all().cast(pl.String)).write_csv()]
    return [data.decode("utf-8", "replace")]


def test_no_full_id_or_phone_under_outputs(tmp_path):
    frames = generate_households(60, 11)
    hh = frames["households"]
    ids = [v for v in hh["证件号码"].drop_nulls().to_list() if len(v) == 18]
    phones = [v for v in hh["联系电话"].drop_nulls().to_list() if len(v) >= 11]
    assert ids and phones  # the district carries both, so the scan can find a leak
    numbered = {k: v.with_row_index(SOURCE_ROW, offset=2).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
                for k, v in frames.items()}  # 来源行号 as the reader gives it
    analysis = analyze(input_data(numbered["households"], numbered["income"], numbered["measures"]), default_policy())
    out = tmp_path / "outputs"
    (out / "_work" / "analysis").mkdir(parents=True)  # what an earlier version left in outputs/
    (out / "_work" / "analysis" / "households.parquet").write_bytes(b"PAR1")
    (out / "notebooks").mkdir()
    (out / "notebooks" / "南岗村.ipynb").write_text("{}", encoding="utf-8")
    result = report_from_analysis(analysis, out, workers=2, progress=False)
    assert not result.failed, [r.error for r in result.failed]
    assert not (out / "_work").exists() and not (out / "notebooks").exists()
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".html", ".xlsx"}
    for path in files:
        for text in _texts(path):
            assert not any(i in text for i in ids), f"full ID in {path.relative_to(out)}"
            assert not any(p in text for p in phones), f"full phone number in {path.relative_to(out)}"
    # the work files that hold them are beside outputs/, not in it
    assert result.work_dir is not None and out not in result.work_dir.parents
    store_text = "".join(t for p in result.work_dir.rglob("*.parquet") for t in _texts(p))
    assert any(i in store_text for i in ids)  # the scan itself would see an ID where there is one
