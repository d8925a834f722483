"""Snapshots (lib.io.history): named by as-of date, replaced by a rerun, and private."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import polars as pl

from lib.demo.district import village_table
from lib.io import history
from lib.policy import default_policy
from lib.rules import progress as rp
from lib.rules.analysis import analyze
from tests.factories import generated_input


def _analysis(day: dt.date, n: int = 60):
    return analyze(generated_input(n, 11, village_table(n, 11)), default_policy(), as_of=day)


def test_a_snapshot_holds_no_name_id_or_phone(tmp_path):
    a = _analysis(dt.date(2022, 8, 15))
    history.write_snapshot(tmp_path, a)
    files = sorted(tmp_path.iterdir())
    assert [p.name for p in files] == ["2022-08-15.户.parquet", "2022-08-15.村.parquet"]
    raw = b"".join(p.read_bytes() for p in files)
    hh = a.households
    private = pl.concat([hh["户主姓名"], hh["证件号码"], hh["联系电话"]]).drop_nulls().unique().to_list()
    assert private, "the generated district has names, IDs and phones"
    for value in private:
        assert value.encode() not in raw, value
    # nor any 18-digit ID or 11-digit phone hiding in another column (户编号 is 13 digits)
    snap = history.read_snapshot(tmp_path, dt.date(2022, 8, 15))
    assert not set(rp.PRIVATE_COLUMNS) & (set(snap.households.columns) | set(snap.figures.columns))
    text = snap.households.select(pl.col(pl.String)).rows()
    assert not any(v and (len(v) in (11, 18) and v[:17].isdigit()) for row in text for v in row)


def test_a_rerun_with_the_same_date_replaces_it_and_dates_are_listed_in_order(tmp_path):
    a = _analysis(dt.date(2022, 8, 15))
    history.write_snapshot(tmp_path, replace(a, as_of=dt.date(2022, 8, 8)))
    history.write_snapshot(tmp_path, a)
    smaller = replace(a, households=a.households.head(10))
    history.write_snapshot(tmp_path, smaller)
    assert history.snapshot_dates(tmp_path) == [dt.date(2022, 8, 8), dt.date(2022, 8, 15)]
    assert history.read_snapshot(tmp_path, dt.date(2022, 8, 15)).households.height == 10
    assert not list(tmp_path.glob(".*"))  # no temporary file left
    series = history.read_series(tmp_path)
    assert series["截至"].unique().sort().to_list() == [dt.date(2022, 8, 8), dt.date(2022, 8, 15)]
    # a half-written snapshot (households file only) is not listed
    (tmp_path / "2022-08-22.户.parquet").write_bytes(b"")
    assert history.snapshot_dates(tmp_path)[-1] == dt.date(2022, 8, 15)
    assert history.snapshot_dates(tmp_path / "none") == []


def test_the_snapshot_figures_are_the_figures_module_s(tmp_path):
    from lib.rules.figures import village_figures

    a = _analysis(dt.date(2022, 8, 15))
    snap = history.build_snapshot(a)
    shown = village_figures(a.households)
    assert snap.figures.select(shown.columns).equals(shown)
    assert snap.figures["截至"].unique().to_list() == [dt.date(2022, 8, 15)]
