"""lib.report.store: one typed store of the Analysis, partitioned by village, policy values inside."""

from __future__ import annotations

import json
from dataclasses import fields, replace

import polars as pl
import pytest

from lib.catalogue import DISTRICT
from lib.policy import default_policy
from lib.present.tables import village_view
from lib.report import store
from lib.rules.analysis import Analysis
from factories import generated_input

# a name that is no file name, one that looks like a number, a plain one
VILLAGES = pl.DataFrame({
    "乡镇": ["前进乡"] * 3, "村": ["东村", '<i>"红旗"</i>/村', "0012"], "户数": [12, 8, 10],
    "冰雹受灾": [False, True, False], "产业项目减收": [True, False, False],
})


@pytest.fixture(scope="module")
def analysis():
    from lib.rules.analysis import analyze

    problems = pl.DataFrame({"工作表": ["收入"], "行号": [9], "列": ["务工收入"], "值": ["十"],
                             "代码": ["E1"], "原因": ["不是数字"]})
    data = generated_input(30, 11, VILLAGES, rejects=problems, source="测试.xlsx")
    # a policy changed in code: only its values can travel with the store
    return analyze(data, default_policy().with_rules(flat_band=0.037, source="代码中修改").with_year(2022, dibao_standard=5280))


@pytest.fixture
def saved(tmp_path, analysis):
    return store.save(analysis, tmp_path / "analysis")


def assert_same(a: Analysis, b: Analysis) -> None:
    for f in fields(Analysis):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pl.DataFrame):
            assert x.equals(y), f.name  # dtypes, list columns and row order included
        elif f.name == "ledger":
            assert list(x) == list(y) and all(x[k].equals(y[k]) for k in x), f.name
        elif f.name == "summary":
            assert json.loads(json.dumps(x, default=str)) == y
        else:
            assert x == y, f.name


def test_district_load_is_the_analysis(saved, analysis):
    back = store.load(saved)
    assert type(back) is Analysis
    assert back.policy == analysis.policy and back.policy.flat_band == 0.037 and back.policy.dibao(2022) == 5280
    assert_same(back, analysis)


def test_village_load_is_the_village_view(saved, analysis):
    for village in VILLAGES.get_column("村"):
        mine = store.load(saved, village=village)
        view = village_view(analysis, village)
        assert mine.households.get_column("村").unique().to_list() == [village]
        assert set(mine.fgt.get_column("村")) == {village, DISTRICT}  # the district row as yardstick
        # the input's unused rows belong to no village
        assert mine.rejects.height == 0 and mine.rejects.schema == analysis.rejects.schema
        assert_same(mine, replace(view, rejects=view.rejects.clear(), findings=view.findings.clear()))


def test_village_load_opens_only_that_villages_files(saved, analysis):
    manifest = store.read_manifest(saved)
    part_of = dict(map(tuple, manifest["partitions"]))
    kept = {f"{part_of['东村']}.parquet", f"{part_of[DISTRICT]}.parquet"}
    others = [p for p in saved.rglob("*.parquet") if p.parent != saved and p.name not in kept]
    assert others  # every other village has files of its own …
    for path in others:
        path.write_bytes(b"not parquet")  # … and none of them is read
    mine = store.load(saved, village="东村")
    assert mine.households.height == analysis.households.filter(pl.col("村") == "东村").height == 12
    assert mine.items.height == analysis.items.filter(pl.col("村") == "东村").height
    with pytest.raises(pl.exceptions.PolarsError):  # the district load does read them
        store.load(saved)


def test_store_layout_one_file_per_village_and_table(saved, analysis):
    manifest = store.read_manifest(saved)
    assert manifest["villages"] == sorted(VILLAGES.get_column("村"))
    assert manifest["policy"]["rules"]["flat_band"] == 0.037 and "path" not in json.dumps(manifest["policy"])
    parts = [part for _, part in manifest["partitions"]]
    for table in store.BY_VILLAGE:
        assert sorted(p.stem for p in (saved / table).iterdir()) == sorted(parts)
    for table in store.DISTRICT_TABLES:
        assert (saved / f"{table}.parquet").is_file()


def test_saving_again_replaces_the_store_whole(tmp_path, analysis):
    folder = store.save(analysis, tmp_path / "analysis")
    (folder / "households" / "9999.parquet").write_bytes(b"last run's village")
    store.save(analysis, folder)
    assert not (folder / "households" / "9999.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analysis"]  # nothing left beside it


def test_unknown_village_and_missing_store_are_clear_errors(saved, tmp_path):
    with pytest.raises(store.StoreError, match="没有村“西村”"):
        store.load(saved, village="西村")
    with pytest.raises(store.StoreError, match="缺少 store.json"):
        store.load(tmp_path / "无")


def test_rows_without_a_village_stay_in_the_district_only(tmp_path, analysis):
    stray = analysis.measures.head(1).with_columns(pl.lit(None, pl.String).alias("村"))
    with_stray = replace(analysis, measures=pl.concat([analysis.measures, stray]))
    folder = store.save(with_stray, tmp_path / "analysis")
    assert store.load(folder).measures.equals(with_stray.measures)
    assert store.load(folder, village="东村").measures.get_column("村").null_count() == 0


def test_the_as_of_date_is_kept(tmp_path, analysis):
    import datetime as dt
    from dataclasses import replace

    dated = replace(analysis, as_of=dt.date(2022, 8, 15))  # a plain field
    assert store.load(store.save(dated, tmp_path / "a")).as_of == dt.date(2022, 8, 15)
    assert store.load(tmp_path / "a", village=store.read_manifest(tmp_path / "a")["villages"][0]).as_of.day == 15
