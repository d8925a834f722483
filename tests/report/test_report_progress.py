"""`zengshou progress` and 进度.html (lib.report.progress) as a user runs them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import polars as pl
import pytest

from tests.conftest import write_csv_folder, zengshou


def test_progress_prints_the_changes_and_writes_an_offline_page(tmp_path, frames):
    first = write_csv_folder(tmp_path / "第一周", frames)
    # a week later: a planned measure was put in place
    later = dict(frames)
    later["帮扶措施"] = frames["帮扶措施"].with_columns(pl.lit("已落实").alias("状态"))
    second = write_csv_folder(tmp_path / "第二周", later)
    processed = tmp_path / "data" / "processed"
    for folder, day in ((first, "2022-08-08"), (second, "2022-08-15")):
        run = zengshou("analyze", str(folder), "-o", str(processed), "--as-of", day, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
    history = processed / "history"
    assert sorted(p.name for p in history.iterdir()) == [
        "2022-08-08.户.parquet", "2022-08-08.村.parquet", "2022-08-15.户.parquet", "2022-08-15.村.parquet"]
    out = tmp_path / "outputs"
    run = zengshou("progress", "-o", str(out), "--history", str(history), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "全区进度：截至 2022年8月15日" in run.stdout and "与上次（2022年8月8日）相比" in run.stdout
    assert "新落实的措施：1 项" in run.stdout  # 0002's 社会救助兜底保障: blank (计划) → 已落实
    assert "社会救助兜底保障（区民政局）：新计划 0 项，新落实 1 项" in run.stdout
    page = (out / "进度.html").read_text(encoding="utf-8")
    from lib.report.html import external_references

    assert external_references(page) == [] and "Plotly.newPlot" in page and "与上次（8月8日）相比" in page
    for name in frames["户信息"]["户主姓名"].to_list():
        assert name not in page
    # --since before the first snapshot: a Chinese message, exit 2, no traceback
    bad = zengshou("progress", "-o", str(out), "--history", str(history), "--since", "2022-07-01", cwd=tmp_path)
    assert bad.returncode == 2 and "没有 2022-07-01 或更早的运行记录" in bad.stderr and "Traceback" not in bad.stderr
    none = zengshou("progress", "-o", str(out), "--history", str(tmp_path / "无"), cwd=tmp_path)
    assert none.returncode == 2 and "没有找到历次运行记录" in none.stderr and "Traceback" not in none.stderr
    wrong = zengshou("progress", "--since", "8月8日", cwd=tmp_path)
    assert wrong.returncode == 2 and "YYYY-MM-DD" in wrong.stderr


def test_the_page_escapes_names_and_says_plainly_when_there_is_no_earlier_run(tmp_path):
    from lib.demo.district import village_table
    from lib.io.history import write_snapshot
    from lib.policy import default_policy
    from lib.report import progress
    from lib.rules.analysis import analyze
    from tests.factories import generated_input

    villages = village_table(40, 3).with_columns(pl.lit("<b>村</b>").alias("村"))
    a = analyze(generated_input(40, 3, villages), default_policy(), as_of=dt.date(2022, 8, 15))
    write_snapshot(tmp_path, a)
    p = progress.load(tmp_path, dt.date(2022, 8, 15))
    assert p.previous is None and p.changes is None
    html = p.section_html("<b>村</b>")
    assert "这是第一次记录进度" in html and "<b>村</b>" not in html
    page = progress.render_page(progress.load(tmp_path))
    assert "&lt;b&gt;村&lt;/b&gt;" in page and "<b>村</b>" not in page.replace("<b>要点：</b>", "")
    assert p.sentence("<b>村</b>").startswith("首次记录进度")
    # the chart draws only traces the vendored plotly.js bundle has
    from lib.report.html import PLOTLYJS_TRACES

    assert {t.type for t in p.chart("<b>村</b>").data} <= PLOTLYJS_TRACES


@pytest.mark.slow
def test_the_demo_shows_the_section_the_chart_and_the_progress_page(tmp_path):
    run = zengshou("demo", "--input", str(tmp_path / "raw" / "demo.xlsx"), "-o", str(tmp_path / "outputs"),
                   "--processed", str(tmp_path / "processed"), "--workers", "2", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    from lib.io.history import snapshot_dates
    from lib.report.workspace import history_dir_for

    out = tmp_path / "outputs"
    assert snapshot_dates(history_dir_for(out)) == [dt.date(2022, 8, 1), dt.date(2022, 8, 8), dt.date(2022, 8, 15)]
    assert snapshot_dates(tmp_path / "processed" / "history") == [dt.date(2022, 8, 15)]  # analyze's own
    village = (out / "南岗村.html").read_text(encoding="utf-8")
    assert "与上次（8月8日）相比" in village and "<b>进度：</b>与上次（8月8日）相比" in village
    assert '"text":"南岗村进度' in village  # the chart's title, in the figure's JSON
    appendix = village[village.index("附：指标口径"):]
    assert all(share in appendix for share in ("排查率", "风险户措施覆盖率", "缺口补足率"))  # each defined once
    district = (out / "district.html").read_text(encoding="utf-8")
    assert "各村进度排名" in district and "全区进度" in district
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="%E8%BF%9B%E5%BA%A6.html"' in index
    page = (out / "进度.html").read_text(encoding="utf-8")
    assert "与上次（8月8日）相比" in page and page.count("Plotly.newPlot(") == 9  # 全区 + 8 villages


def test_a_run_of_another_season_is_not_compared(tmp_path):
    """Last season's runs (2020→2021) stay in the history but this season's section, pace and
    chart use only the runs that compared the same two years."""
    from dataclasses import replace

    from lib.codes import InputError
    from lib.demo.district import village_table
    from lib.io import history
    from lib.policy import default_policy
    from lib.report.progress import load
    from lib.rules.analysis import analyze
    from tests.factories import generated_input

    a = analyze(generated_input(60, 11, village_table(60, 11)), default_policy(), as_of=dt.date(2022, 8, 15))
    old = history.build_snapshot(replace(a, as_of=dt.date(2021, 9, 20)))
    old = replace(old, year_last=2020, year_this=2021,
                  figures=old.figures.with_columns(pl.lit(2020, pl.Int64).alias(history.YEAR_LAST), pl.lit(2021, pl.Int64).alias(history.YEAR_THIS)))
    history.write_snapshot(tmp_path, old)
    history.write_snapshot(tmp_path, replace(a, as_of=dt.date(2022, 8, 8)))
    history.write_snapshot(tmp_path, a)
    p = load(tmp_path)
    assert (p.as_of, p.previous) == (dt.date(2022, 8, 15), dt.date(2022, 8, 8))
    assert p.series["截至"].unique().sort().to_list() == [dt.date(2022, 8, 8), dt.date(2022, 8, 15)]
    with pytest.raises(InputError, match="没有 2022-01-01 或更早的运行记录可比"):
        load(tmp_path, since=dt.date(2022, 1, 1))


def test_a_village_s_progress_read_alone_is_its_part_of_the_district_s(tmp_path):
    from lib.demo.district import village_table
    from lib.io.history import write_snapshot
    from lib.policy import default_policy
    from lib.report import progress
    from lib.rules.analysis import analyze
    from tests.factories import generated_input

    villages = village_table(400, 5)
    data = generated_input(400, 5, villages)
    write_snapshot(tmp_path, analyze(data, default_policy(), as_of=dt.date(2022, 8, 8)))
    # a week later every planned measure is in place
    later = dataclasses.replace(data, measures=data.measures.with_columns(pl.lit("已落实").alias("状态")))
    write_snapshot(tmp_path, analyze(later, default_policy(), as_of=dt.date(2022, 8, 15)))
    district = progress.load(tmp_path, dt.date(2022, 8, 15))
    assert district.changes.measures.get_column("新落实").sum() > 0
    for village in villages.get_column("村"):
        alone = progress.load(tmp_path, dt.date(2022, 8, 15), village=village)
        mine = district.changes.of_village(village)
        for part in mine.__dataclass_fields__:
            assert getattr(alone.changes, part).equals(getattr(mine, part)), (village, part)
        assert alone.sentence(village) == district.sentence(village)
        def serials_out(html):  # each table's id ends in a per-process serial number
            return re.sub(r"(zs-t-[0-9a-f]+)-\d+", r"\1", html)

        assert serials_out(alone.section_html(village)) == serials_out(district.section_html(village))
        assert alone.ranking.equals(district.ranking) and alone.paces.equals(district.paces)
