"""lib/report/scenario.py and `zengshou what-if`: one scenario as an offline page, linked from the index."""

from __future__ import annotations

import pytest

from lib.cli import main
from lib.report.html import external_references
from lib.report.index import write_index
from lib.report.scenario import run_what_if, scenario_pages
from tests.interactive.test_what_if import small_workbook


def test_an_unknown_lever_is_refused_before_any_kernel_starts(tmp_path):
    with pytest.raises(ValueError, match="未知的假设分析参数：岗位"):
        run_what_if(tmp_path / "x.xlsx", tmp_path, {"岗位": 3})
    assert not any(tmp_path.iterdir())


def test_the_index_links_every_scenario_page_in_its_folder(tmp_path):
    (tmp_path / "假设分析_加岗.html").write_text("<html></html>", encoding="utf-8")
    (tmp_path / "南岗村.html").write_text("<html></html>", encoding="utf-8")
    assert scenario_pages(tmp_path) == ["假设分析_加岗.html"]
    page = write_index(tmp_path, [], None, []).read_text(encoding="utf-8")
    assert "<h2>假设分析</h2>" in page and "%E5%81%87%E8%AE%BE%E5%88%86%E6%9E%90_%E5%8A%A0%E5%B2%97.html" in page
    assert "南岗村.html" not in page  # only what-if pages are picked up from the folder


@pytest.mark.slow
def test_what_if_command_writes_an_offline_scenario_page(tmp_path):
    workbook = small_workbook(tmp_path)
    out = tmp_path / "out"
    status = main(["what-if", str(workbook), "-o", str(out), "--name", "假设分析_加岗", "--posts", "2", "--pay", "800"])
    assert status == 0
    html = (out / "假设分析_加岗.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in html and external_references(html) == []
    assert "2 个，每岗 800 元/月 × 12 个月" in html and "调整前后对比" in html
    assert (tmp_path / "out_工作文件" / "notebooks" / "假设分析_加岗.ipynb").is_file()  # kept for audit, outside outputs/
