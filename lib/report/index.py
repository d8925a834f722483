"""``outputs/index.html``: the page a leader opens first — every briefing and ledger, one click away.

Plain HTML with inline CSS, no script and no other host: it opens from a USB stick. The two
tables are drawn by the briefings' table renderer (``lib.present.tables.table_markup``, in
its ``SUMMARY`` look); every value is escaped (village names come from the input workbook),
links are percent-encoded relative file names, so a name with quotes or angle brackets
stays text.

``villages`` entries: ``{"village": name, "html": file name or None, "ledger": file name or
None, "summary": {label: value, …}}`` — the summary labels become the table's columns, in
the order they first appear. ``district``: ``{"html", "ledger", "summary"}`` or None.
``failed``: ``{"village", "error"}`` (the error's first line only: no traceback, no path).
``townships``: ``{"township", "ledger"}``, the 乡镇 ledgers (listed below the district).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from lib.io.atomic import write_text
from lib.present.format import date_text, escape
from lib.present.tables import SUMMARY, file_link, table_markup

INDEX_NAME = "index.html"
PROGRESS_PAGE = "进度.html"  # lib.report.progress.PAGE_NAME
TITLE = "增收监测村级简报"


def _columns(rows: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in (row.get("summary") or {}):
            seen.setdefault(key, None)
    return list(seen)


_OWN = {"村": "village", "简报": "html", "台账": "ledger"}  # header → key of an entry


def _summary_table(entries: list[dict], columns: list[str], briefing: str, ledger: str, named: bool) -> str:
    # Each entry's own cells (its name, its two files), then its summary figures.
    own = [h for h in _OWN if named or h != "村"]
    frame = pl.DataFrame(
        [{**{h: e.get(_OWN[h]) for h in own}, **{c: (e.get("summary") or {}).get(c) for c in columns}}
         for e in entries],
        infer_schema_length=None,
    )
    return table_markup(frame, look=SUMMARY, links={"简报": briefing, "台账": ledger},
                        row_header="村" if named else None)


def render_index(villages: list[dict], district: dict | None, failed: list[dict],
                 meta: dict | None = None, title: str = TITLE, scenarios: list[str] = (),
                 definitions: list[tuple[str, str, str]] = (), notice: str | None = None,
                 townships: list[dict] = (), progress_page: str | None = None) -> str:
    """The index page's HTML text (see the module docstring for the arguments); ``notice``: a
    sentence shown first (an interrupted run)."""
    columns = _columns(villages + ([district] if district else []))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
    ]
    if notice:
        parts.append(f'<p class="notice">{escape(notice)}</p>')
    meta = dict(meta or {})
    meta.setdefault("生成时间", date_text(dt.datetime.now()))
    parts.append('<dl class="meta">' + "".join(
        f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in meta.items()) + "</dl>")

    if district:
        parts += [
            "<h2>全区概览</h2>",
            _summary_table([district], columns, "全区概览", "全区台账", named=False),
        ]

    if progress_page:  # 进度.html: what moved since the last run, toward 8月31日 / 9月30日
        parts.append(f"<h2>进度</h2><ul><li>{file_link(progress_page, '全区进度（与上次相比、按期完成预测）')}</li></ul>")

    if townships:
        parts.append("<h2>乡镇台账</h2><ul>" + "".join(
            f"<li>{file_link(t.get('ledger'), str(t.get('township')) + '台账')}</li>" for t in townships) + "</ul>")

    parts.append(f"<h2>各村简报（{len(villages)} 个村）</h2>")
    if villages:
        parts.append(_summary_table(villages, columns, "打开简报", "下载台账", named=True))
    else:
        parts.append('<p class="none">没有生成成功的村级简报。</p>')

    if definitions:  # (指标, 单位, 口径) of the figures above: one meaning per number
        parts.append('<h2>指标口径</h2><dl class="definitions">' + "".join(
            f"<dt>{escape(name)}（{escape(unit)}）</dt><dd>{escape(text)}</dd>" for name, unit, text in definitions) + "</dl>")

    if scenarios:
        parts.append("<h2>假设分析</h2><ul>")
        parts += [f"<li>{file_link(name, name.removesuffix('.html'))}</li>" for name in scenarios]
        parts.append("</ul>")

    if failed:
        parts.append(f'<h2 class="failed">未能生成的简报（{len(failed)} 个村）</h2><ul class="failed">')
        for f in failed:
            # One sentence: index.html goes to leaders; tracebacks and paths stay in the work log.
            error = str(f.get("error") or "未知错误").splitlines()[0]
            parts.append(f"<li><strong>{escape(f.get('village'))}</strong>：{escape(error)}</li>")
        parts.append("</ul>")

    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def write_index(out_dir: str | Path, villages: list[dict], district: dict | None,
                failed: list[dict], meta: dict | None = None, title: str = TITLE,
                definitions: list[tuple[str, str, str]] = (), notice: str | None = None,
                townships: list[dict] = ()) -> Path:
    """Write ``<out_dir>/index.html`` atomically, linking the what-if pages found there too."""
    from lib.report.scenario import scenario_pages

    path = Path(out_dir) / INDEX_NAME
    progress = PROGRESS_PAGE if (Path(out_dir) / PROGRESS_PAGE).is_file() else None
    write_text(path, render_index(villages, district, failed, meta, title, scenario_pages(out_dir), definitions,
                                  notice, townships, progress))
    return path


_CSS = """
body { font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "微软雅黑",
  "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "SimHei", Arial, sans-serif;
  max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.6; }
h1 { font-size: 1.6em; border-bottom: 2px solid #b22222; padding-bottom: .3em; }
h2 { font-size: 1.25em; margin-top: 1.6em; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; color: #555; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
dl.definitions dt { font-weight: bold; margin-top: .4em; }
dl.definitions dd { margin: 0 0 0 1em; color: #444; }
table.summary { border-collapse: collapse; width: 100%; font-size: 14px; }
table.summary th, table.summary td { border: 1px solid #ddd; padding: .35em .6em; text-align: left; }
table.summary thead th { background: #f4f4f4; position: sticky; top: 0; }
table.summary td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.summary tbody tr:nth-child(even) { background: #fafafa; }
.none { color: #999; }
.failed { color: #b22222; }
p.notice { border: 2px solid #b22222; padding: .6em 1em; font-weight: bold; color: #b22222; }
ul.failed li { margin: .4em 0; }
pre { white-space: pre-wrap; background: #f8f8f8; padding: .5em; font-size: 12px; }
@media print { a { color: inherit; text-decoration: none; } }
"""
