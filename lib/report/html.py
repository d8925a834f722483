"""An executed notebook as one self-contained HTML briefing that opens with no network.

nbconvert's ``lab`` template is the base; what it would fetch from a CDN is taken out:

- require.js (the lab template loads it for old widgets/AMD; it would also break plotly.js,
  whose UMD wrapper calls an anonymous ``define`` when it sees it), MathJax, mermaid (an ES
  module import) and the jupyter-widgets manager: their blocks are emptied. The reports use
  no LaTeX, no mermaid and no live widgets (widgets need a kernel; interactivity comes from
  plotly itself).
- plotly's "notebook" renderer adds ``<script src=".../mathjax/...">`` to every figure;
  ``strip_cdn_mathjax`` removes it from the outputs (``lib.present.notebook.setup_notebook`` already
  avoids it at the source; this is the safety net for a notebook that does not call it).
- plotly.js is embedded exactly once, as the vendored partial bundle (``PLOTLYJS_BUNDLE``): if no output carries it (a report run, see
  ``lib.present.notebook.setup_notebook``) and some output draws a figure, it goes into ``<head>``;
  a notebook run interactively already has it in its first figure's output.

Code cells are hidden (input and prompts), stderr streams (warnings) are left out — they
stay in the executed notebook kept for audit — and cells tagged ``remove_cell`` /
``remove_output`` / ``remove_input`` are honoured. The page is ``<html lang="zh">`` with a
Chinese font stack from CSS only (no web fonts). ``external_references`` lists every
reference to another host; the pipeline refuses an HTML that has one.

nbconvert escapes what it renders from markdown and plain-text outputs; HTML outputs are
passed through as they are, so a notebook that builds its own HTML must escape data with
``escape`` (polars' and pandas' table reprs already do).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lib.io.atomic import write_bytes
from lib.present.format import escape  # the one escaper (with the backtick guard)
from lib.present.notebook import FONT_STACK, avoid_slow_imports, strip_cdn_mathjax

avoid_slow_imports()

import nbformat

MB = 1024 * 1024
# A briefing is mailed, copied on USB sticks and opened on phones: each part of the page has
# its own limit, so the message can say which part grew and what to do about it.
PART_LIMITS = {
    "图表库": 5.5 * MB,  # plotly.js, embedded once
    "图表数据": 1.5 * MB,  # the figures' own data
    "表格": 2.5 * MB,  # the briefing's tables
    "文字及其他": 1.0 * MB,  # markdown, styles, the page frame
}
PART_ADVICE = {
    "图表库": "请检查图表库是否被重复嵌入",
    "图表数据": "图表数据过多：请先汇总再画图，不要逐户作图",
    "表格": "表格行数过多：请减少简报中列出的行数，完整名单放在 Excel 台账",
    "文字及其他": "文字或样式过多：请检查是否输出了大段数据",
}
MAX_HTML_BYTES = int(sum(PART_LIMITS.values()))  # the whole page, as a last guard

# ---------------------------------------------------------------------------------------
# Page layout for print (A4) and phones — apart from the plotly.js embedding below
# ---------------------------------------------------------------------------------------

PAGE_CSS = """
@media screen and (max-width: 640px) {
  body.jp-Notebook { padding: 0 8px; }
  .jp-Cell, .jp-Cell-outputWrapper, .jp-OutputArea-output, .jp-RenderedHTMLCommon { min-width: 0; max-width: 100%; }
  .jp-RenderedHTMLCommon { overflow-wrap: anywhere; }
  .jp-RenderedHTMLCommon table:not(.zs-table table) { display: block; overflow-x: auto; max-width: 100%; }
  .js-plotly-plot, .plotly-graph-div { max-width: 100%; }
  h1 { font-size: 22px; }
}
@page { size: A4; margin: 14mm 12mm 14mm 12mm; }
@page landscape { size: A4 landscape; margin: 12mm 14mm 12mm 14mm; }
@media print {
  body.jp-Notebook { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  .jp-Cell, .jp-Notebook .jp-Cell { padding: 0; }
  .js-plotly-plot .modebar, .js-plotly-plot .updatemenu-container { display: none; }
  .jp-OutputArea-output, .plotly-graph-div { max-width: 100%; overflow: hidden; }
  /* a chart or a list of figures is kept whole; a table breaks between its rows (each row
     whole, the header repeated), so that it starts right under what introduces it */
  .jp-OutputArea-output:not(:has(table)), .plotly-graph-div { break-inside: avoid; }
  .jp-OutputArea-child:has(table) { break-inside: auto; }  /* JupyterLab's sheet says avoid-page */
  /* A section starts where the last one ends (no page left half empty); its heading, and a
     short text cell such as a table's lead sentence, stay with what follows. */
  h1, h2, h3 { break-after: avoid; break-inside: avoid; }
  .jp-MarkdownCell { break-inside: avoid; break-after: avoid; }
  ul, ol, .zs-fold, .zs-empty, .zs-lead { break-inside: avoid; }
  p, li { orphans: 3; widows: 3; }
  .jp-RenderedHTMLCommon table { font-size: 9pt; }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { white-space: normal; }
  /* A wide table (lib.present.tables.LANDSCAPE_COLUMNS) prints on landscape pages, with the
     text cell that introduces it. */
  .jp-Cell:has(.zs-landscape), .jp-MarkdownCell:has(+ .jp-Cell .zs-landscape) { page: landscape; }
}
"""
# Charts are drawn for the screen's width. For print they are redrawn to the A4 text width
# and a fifth lower (two charts with their lead lines fit on a page), then back.
PAGE_SCRIPT = """<script>(function(){
var A4 = 700, PRINT_HEIGHT = 0.8;
function plots(){ return Array.prototype.slice.call(document.querySelectorAll('.js-plotly-plot')); }
function fit(width){ if(!window.Plotly) return; plots().forEach(function(gd){
  if(!gd._fullLayout) return;
  if(gd.dataset.zsWidth === undefined){
    gd.dataset.zsWidth = gd._fullLayout.width; gd.dataset.zsHeight = gd._fullLayout.height;
    gd.dataset.zsStyle = gd.style.height; gd.dataset.zsOuter = gd.parentNode.style.height;
  }
  var w = width || Math.min(gd.parentNode.clientWidth || gd._fullLayout.width, gd._fullLayout.width);
  var h = Math.round(gd.dataset.zsHeight * PRINT_HEIGHT);
  /* the chart's boxes too: plotly.py fixes the height in the styles of the div and its wrapper */
  gd.style.height = h + 'px'; if(gd.dataset.zsOuter) gd.parentNode.style.height = h + 'px';
  window.Plotly.relayout(gd, {width: w, height: h});
}); }
function unfit(){ if(!window.Plotly) return; plots().forEach(function(gd){
  if(gd.dataset.zsWidth !== undefined){
    gd.style.height = gd.dataset.zsStyle; if(gd.dataset.zsOuter) gd.parentNode.style.height = gd.dataset.zsOuter;
    window.Plotly.relayout(gd, {width: null, height: Number(gd.dataset.zsHeight), autosize: true});
    delete gd.dataset.zsWidth;
  }
}); }
var print = window.matchMedia && window.matchMedia('print');
if(print && print.addEventListener) print.addEventListener('change', function(e){ e.matches ? fit(A4) : unfit(); });
window.addEventListener('beforeprint', function(){ fit(A4); });
window.addEventListener('afterprint', unfit);
})();</script>"""

_TEMPLATE = (
    """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}
<!--zengshou:plotly.js-->
{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">
:root {
  --jp-ui-font-family: """
    + FONT_STACK
    + """;
  --jp-content-font-family: """
    + FONT_STACK
    + """;
}
body.jp-Notebook { font-family: """
    + FONT_STACK
    + """; max-width: 1200px; margin: 0 auto; }
.jp-RenderedHTMLCommon table { font-size: 13px; }
</style>
"""
    + "<style type=\"text/css\">" + PAGE_CSS + "</style>" + PAGE_SCRIPT
    + """
{%- endblock extra_css -%}
"""
)

@dataclass(frozen=True)
class HtmlReport:
    path: Path
    size: int  # bytes
    external: tuple[str, ...]  # references to other hosts (empty for a good report)


# ---------------------------------------------------------------------------------------
# Escaping and the offline check
# ---------------------------------------------------------------------------------------


# A candidate is any "//host…"; it counts when what stands right before it says the page
# loads it. Looking for the (rare) "//" first and judging only its left context keeps the
# scan of 5 MB of embedded plotly.js fast. Data-derived text cannot look like a loading
# context: nbconvert and ``escape`` turn its quotes and "<" into entities.
_CANDIDATE = re.compile(r"//[^\s\"'`<>)\\]+")
_ENTITY_QUOTE = re.compile(r"&(?:quot|apos|#0*39|#x0*27|#0*34|#x0*22);", re.IGNORECASE)  # ends a URL
_NETWORK_SCHEME = re.compile(r"(?:https?|ftp|wss?):\Z", re.IGNORECASE)
_OTHER_SCHEME = re.compile(r"[A-Za-z][\w+.-]*:\Z")  # file://, data:… are not another host
_URL_ATTRS = ("src", "href", "data", "poster", "action", "background", "xlink:href")
# Elements whose URL attribute makes the browser load something (a plain <a href> only
# navigates when clicked, so it is not a dependency of the page).
_LOADING_TAGS = (
    "script", "link", "img", "iframe", "frame", "source", "video", "audio", "track",
    "embed", "object", "input", "image", "use", "form", "body", "table", "td",
)
_Q = r"[\"'`]\s*"
_TAG_WINDOW, _SHORT_WINDOW = 2000, 64  # how far left of a URL its tag / statement may start


def _contexts(*specs) -> tuple:
    return tuple((re.compile(p + r"\Z", flags), window) for p, flags, window in specs)


_MARKUP_CONTEXTS = _contexts(
    # <script src=…>, <link href=…>, <img src=…>, <iframe src=…>, <object data=…>, …
    (r"<(?:" + "|".join(_LOADING_TAGS) + r")\b[^<>]*?\s(?:" + "|".join(_URL_ATTRS)
     + r")\s*=\s*[\"']?\s*", re.IGNORECASE, _TAG_WINDOW),
    # srcset="a.png 1x, https://x/b.png 2x"
    (r"\ssrcset\s*=\s*[\"'][^\"'<>]*", re.IGNORECASE, _TAG_WINDOW),
    # <meta http-equiv="refresh" content="0; url=…">
    (r"<meta\b[^<>]*http-equiv\s*=\s*[\"']?refresh[^<>]*url\s*=\s*", re.IGNORECASE, _TAG_WINDOW),
    # ES modules: import x from "…" / export … from "…" / import "…" / import("…")
    (r"\bfrom\s*" + _Q, 0, _SHORT_WINDOW),
    (r"\bimport\s*" + _Q, 0, _SHORT_WINDOW),
    (r"\b(?:import|importScripts|Worker|SharedWorker)\s*\(\s*" + _Q, 0, _SHORT_WINDOW),
)
# CSS url(…) and @import "…" / @import url(…) — inside <style> or a style="…" attribute
# only, so that a remark typed into the workbook ("见 url(http://…)") is not taken for CSS.
_CSS_QUOTE = r"(?:[\"']|&quot;|&apos;|&#0*39;|&#x0*27;|&#0*34;|&#x0*22;)?\s*"  # in style="…" too
_CSS_CONTEXTS = _contexts(
    (r"\burl\(\s*" + _CSS_QUOTE, re.IGNORECASE, _SHORT_WINDOW),
    (r"@import\s+(?:url\(\s*)?" + _CSS_QUOTE, re.IGNORECASE, _SHORT_WINDOW),
)
_CSS_SPANS = (
    re.compile(r"<style\b[^>]*>.*?(?:</style\s*>|\Z)", re.IGNORECASE | re.DOTALL),
    re.compile(r"[sS][tT][yY][lL][eE]\s*=\s*(?:\"[^\"]*\"|'[^']*')"),  # literal-ish: fast
)


class _CssSpans:
    """Where the page has CSS (style sheets, style attributes); found only if asked."""

    def __init__(self, text: str):
        self.text = text
        self.spans: list[tuple[int, int]] | None = None

    def __contains__(self, pos: int) -> bool:
        if self.spans is None:
            self.spans = [m.span() for p in _CSS_SPANS for m in p.finditer(self.text)]
        return any(a <= pos < b for a, b in self.spans)


def external_references(html_text: str) -> list[str]:
    """Every URL on another host that the page would load, in order of appearance.

    Looks for resource attributes (script/link/img/iframe/source/… src, href, data,
    srcset), ES module imports (static and dynamic), meta refresh, and CSS ``url()`` and
    ``@import`` in style sheets and style attributes; absolute (``https://…``) and
    protocol-relative (``//host/…``) URLs. ``data:``, ``blob:``, ``file:``, ``#fragment``
    and relative paths are local and not reported; a plain ``<a href>`` is navigation, not
    a dependency, and is not reported either.
    """
    css = _CssSpans(html_text)
    seen: dict[str, None] = {}
    for m in _CANDIDATE.finditer(html_text):
        start = m.start()
        scheme = _NETWORK_SCHEME.search(html_text, max(0, start - 6), start)
        if scheme:
            start = scheme.start()
        elif _OTHER_SCHEME.search(html_text, max(0, start - 32), start):
            continue
        loads = any(c.search(html_text, max(0, start - w), start) for c, w in _MARKUP_CONTEXTS) or (
            any(c.search(html_text, max(0, start - w), start) for c, w in _CSS_CONTEXTS) and start in css
        )
        if loads:
            url = html_text[start:m.end()]
            seen.setdefault(_ENTITY_QUOTE.split(url, 1)[0], None)
    return list(seen)


# ---------------------------------------------------------------------------------------
# Notebook → HTML
# ---------------------------------------------------------------------------------------


_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt\s*=)")
_OUTPUT_DIV = re.compile(r'<div class="(?=[^"]*\bjp-OutputArea-output\b)')


def _accessible(page: str) -> str:
    """What nbconvert's HTMLExporter adds with BeautifulSoup, done with two regexes."""
    page = _IMG_WITHOUT_ALT.sub('<img alt="图像（无说明文字）"', page)
    return _OUTPUT_DIV.sub('<div tabindex="0" class="', page)


def _exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportHTMLExporter(HTMLExporter):
        """HTMLExporter without its final BeautifulSoup pass over the whole page.

        nbconvert 7.17 re-parses the finished page only to add alt text to images and
        tabindex to cells; on a 5 MB briefing with a few thousand table cells that took
        1.5 s of the ~2.5 s a village may cost. ``_accessible`` does the same with regexes.
        The rest mirrors ``HTMLExporter.from_notebook_node``.
        """

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _accessible(page), resources

    return ReportHTMLExporter


@cache
def report_exporter():
    """One configured exporter per process (building it loads and compiles the templates)."""
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"remove_cell"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove_output"}
    config.TagRemovePreprocessor.remove_input_tags = {"remove_input"}
    exporter = _exporter_class()(
        config=config,
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        embed_images=True,  # markdown images as data: URIs
        language_code="zh",
        theme="light",
    )
    exporter.raw_template = _TEMPLATE
    return exporter


_PLOTLYJS_BANNER = "* plotly.js "  # first lines of a plotly.js bundle, full ("v4.1.1") or partial ("(finance - minified)")
_PLOTLY_FIGURE = "Plotly.newPlot("


# plotly.js's finance partial bundle (bar and waterfall, the briefings' trace types): 1.3 MB
# where the full bundle plotly.py ships is 4.8 MB, 93% of a village page; deflated on the page,
# 0.6 MB. Version and provenance: vendor/plotlyjs/SOURCE.txt.
PLOTLYJS_BUNDLE = Path(__file__).with_name("vendor") / "plotlyjs" / "plotly-finance.min.js"
PLOTLYJS_TRACES = frozenset({"bar", "waterfall", "histogram", "pie", "funnel", "funnelarea",
                             "ohlc", "candlestick", "indicator"})  # what the bundle can draw
# pako's inflate (21 kB): the page carries the bundle deflated, 0.57 MB instead of 1.28 MB
# (vendor/pako/SOURCE.txt).
INFLATE_SCRIPT = Path(__file__).with_name("vendor") / "pako" / "pako_inflate.min.js"
PLOTLYJS_MARK = "data-zs-plotlyjs"  # the attribute of the script that carries the bundle
_INFLATE_TAG = '<script type="text/javascript" data-zs-inflate="pako">'  # opens pako's script


@cache
def plotlyjs() -> str:
    return PLOTLYJS_BUNDLE.read_text(encoding="utf-8")


def plotlyjs_version() -> str:
    """The vendored bundle's version, from its banner (``* plotly.js (finance …) v4.1.0``)."""
    return re.search(r"\* plotly\.js \([^)]*\) v(\d+\.\d+\.\d+)", plotlyjs()[:300]).group(1)


@cache
def plotlyjs_scripts() -> str:
    """The ``<script>`` tags that define ``Plotly`` on an offline page, before any figure.

    The bundle travels deflated and base64-encoded (the alphabet needs no escaping in a
    script and holds no "//"); pako inflates it and it runs as an inline script, synchronously,
    so the figures' own scripts further down find ``Plotly`` as with the plain bundle.
    Computed once per process (~0.1 s).
    """
    import base64
    import zlib

    packed = base64.b64encode(zlib.compress(plotlyjs().encode("utf-8"), 9)).decode("ascii")
    inflate = INFLATE_SCRIPT.read_text(encoding="utf-8")
    return (
        '<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: \'local\'};</script>\n'
        f'{_INFLATE_TAG}{inflate}</script>\n'
        f'<script type="text/javascript" {PLOTLYJS_MARK}="{plotlyjs_version()}">(function(){{'
        f'var t=atob("{packed}"),b=new Uint8Array(t.length);'
        'for(var i=0;i<t.length;i++)b[i]=t.charCodeAt(i);'
        'var s=document.createElement("script");s.text=pako.inflate(b,{to:"string"});'
        '(document.head||document.documentElement).appendChild(s);})();</script>'
    )


def plotlyjs_copies(text: str) -> int:
    """How many copies of plotly.js a page or an output carries: plain bundles (as plotly.py's
    renderer inlines them) and packed ones (``plotlyjs_scripts``)."""
    return text.count(_PLOTLYJS_BANNER) + text.count(PLOTLYJS_MARK + '="')


def embedded_plotlyjs(page: str) -> str | None:
    """The plotly.js text a page carries in its ``PLOTLYJS_MARK`` script, inflated (tests and
    benchmarks read it back to check it is the vendored bundle, byte for byte)."""
    import base64
    import zlib

    m = re.search(PLOTLYJS_MARK + r'="[^"]*">\(function\(\)\{var t=atob\("([A-Za-z0-9+/=]*)"\)', page)
    return None if m is None else zlib.decompress(base64.b64decode(m.group(1))).decode("utf-8")


def prepare_for_html(nb, title: str):
    """A copy of ``nb`` made ready for leaders, and whether the page must add plotly.js.

    Sets the title, drops stderr streams and plotly's CDN MathJax tags. Only what changes
    is copied (nbconvert deep-copies the notebook again anyway).
    """
    from nbformat import NotebookNode

    has_bundle = has_figure = False
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                continue
            html_out = out.get("data", {}).get("text/html")
            if html_out is not None:
                text = "".join(html_out) if isinstance(html_out, list) else html_out
                has_bundle = has_bundle or plotlyjs_copies(text) > 0
                has_figure = has_figure or _PLOTLY_FIGURE in text
                data = NotebookNode(out["data"], **{"text/html": strip_cdn_mathjax(text)})
                out = NotebookNode(out, data=data)
            outputs.append(out)
        cells.append(NotebookNode(cell, outputs=outputs))
    prepared = NotebookNode(nb, cells=cells, metadata=NotebookNode(nb.metadata, title=title))
    return prepared, has_figure and not has_bundle


_PLOTLYJS_SLOT = "<!--zengshou:plotly.js-->"

# ---------------------------------------------------------------------------------------
# The lab template's style sheet, cut to what the page uses
# ---------------------------------------------------------------------------------------

# The lab template inlines all of JupyterLab's CSS (240 kB: file browser, menus, dialogs,
# completer …); a briefing's markup uses ~35 classes. A rule is kept when some selector of
# it names only classes that occur as a word somewhere in the page (markup or script, so a
# class that a table's script adds is kept too); rules with no class, :root variables,
# @keyframes and @font-face are kept whole; @media / @supports blocks are cut inside.
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_WORD = re.compile(r"[\w-]+")
_STYLE_BLOCK = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.IGNORECASE | re.DOTALL)
_PRUNE_ABOVE = 2_000  # characters: our own small sheet is left as it is; nbconvert's three are cut


def _css_blocks(css: str) -> list[tuple[str, str]]:
    """Top-level (prelude, body) pairs of a comment-free style sheet; braces balanced."""
    blocks, i, n = [], 0, len(css)
    while i < n:
        open_ = css.find("{", i)
        if open_ < 0:
            break
        depth, j = 1, open_ + 1
        while depth and j < n:
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
        blocks.append((css[i:open_].strip(), css[open_ + 1:j - 1]))
        i = j
    return blocks


@cache
def _css_rules(css: str) -> tuple:
    """(classes of each selector or None = always kept, text) per rule; nested for @media."""
    rules = []
    for prelude, body in _css_blocks(_CSS_COMMENT.sub("", css)):
        if prelude.startswith(("@media", "@supports", "@layer", "@container")):
            rules.append((prelude, _css_rules(body)))
        elif prelude.startswith("@") or ";" in prelude:  # @keyframes, @font-face, a stray @import
            rules.append((None, f"{prelude}{{{body}}}"))
        else:
            selectors = tuple(frozenset(_CSS_CLASS.findall(sel)) for sel in prelude.split(","))
            rules.append((selectors, f"{prelude}{{{body.strip()}}}"))
    return tuple(rules)


def _used_css(rules: tuple, words: set[str]) -> str:
    kept = []
    for selectors, text in rules:
        if isinstance(text, tuple):
            inner = _used_css(text, words)
            if inner:
                kept.append(f"{selectors}{{{inner}}}")
        elif selectors is None or any(classes <= words for classes in selectors):
            kept.append(text)
    return "\n".join(kept)


# Custom properties nothing refers to: most of what is left is :root's 86 kB of icon SVGs.
# A declaration starts after "{", ";" or a space (never inside a selector such as .a--b:hover).
_CUSTOM_PROPERTY = re.compile(r"(?<=[{;\s])(--[\w-]+)\s*:(?:url\([^)]*\)|[^;{}])*;?")
_VAR_REFERENCE = re.compile(r"var\(\s*(--[\w-]+)")


def prune_css(page: str) -> str:
    """``page`` with each large style sheet cut to the rules its markup can match, then to
    the custom properties that the page (any sheet, markup or script) still refers to."""
    words = set(_WORD.findall(_STYLE_BLOCK.sub("", page)))

    def large(cut_css):
        def cut(m: re.Match) -> str:
            css = m.group(2)
            return m.group(0) if len(css) < _PRUNE_ABOVE else m.group(1) + cut_css(css) + m.group(3)
        return cut

    page = _STYLE_BLOCK.sub(large(lambda css: _used_css(_css_rules(css), words)), page)
    used = set(_VAR_REFERENCE.findall(page))  # e.g. theme-light.css's var(--md-blue-900)
    unused = lambda m: m.group(0) if m.group(1) in used else ""  # noqa: E731
    return _STYLE_BLOCK.sub(large(lambda css: _CUSTOM_PROPERTY.sub(unused, css)), page)


# A style sheet or script that every output of a kind carries (each table's, in a notebook
# where outputs are shown one by one) is marked data-zs-once; the page keeps its first copy.
_ONCE = re.compile(r'<(style|script) data-zs-once="[^"]*">.*?</\1>', re.DOTALL)


def once(page: str) -> str:
    """``page`` with each repeated ``data-zs-once`` block (the same text again) taken out."""
    seen: set[str] = set()

    def first(m: re.Match) -> str:
        if m.group(0) in seen:
            return ""
        seen.add(m.group(0))
        return m.group(0)

    return _ONCE.sub(first, page)


def render_html(nb, title: str) -> str:
    """The briefing's HTML text for an executed notebook node."""
    nb, add_plotlyjs = prepare_for_html(nb, title)
    page, _ = report_exporter().from_notebook_node(nb)
    page = prune_css(once(page))
    # plotly.js goes in last, so the template and the regexes above never touch its 0.6 MB.
    return page.replace(_PLOTLYJS_SLOT, plotlyjs_scripts() if add_plotlyjs else "", 1)


def notebook_to_html(executed_ipynb, out_html: str | Path, title: str) -> HtmlReport:
    """Convert an executed notebook (path or node) to ``out_html``, written atomically.

    Raises ``OfflineError`` if the page refers to another host, ``ReportTooLarge`` if a part
    of it exceeds its limit (``PART_LIMITS``); in both cases nothing is written.
    """
    nb = executed_ipynb
    if isinstance(executed_ipynb, (str, Path)):
        nb = nbformat.read(executed_ipynb, as_version=4)
    text = render_html(nb, title)
    external = external_references(text)
    if external:
        shown = "、".join(external[:5])
        raise OfflineError(f"{title}：报告引用了外部网址，离线无法打开：{shown}", external)
    data = text.encode("utf-8")
    check_size(page_parts(text), len(data), title)
    out_html = Path(out_html)
    write_bytes(out_html, data)
    return HtmlReport(out_html, len(data), tuple(external))


# ---------------------------------------------------------------------------------------
# Size of the page, part by part
# ---------------------------------------------------------------------------------------

_SCRIPT_SPAN = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.DOTALL | re.IGNORECASE)
_TABLE_SPAN = re.compile(r'<div class="zs-table[^"]*" id="[^"]*">.*?</table></div>', re.DOTALL)
_FIGURE_DIV = re.compile(r'<div id="[^"]*" class="plotly-graph-div"[^>]*></div>', re.IGNORECASE)


def page_parts(text: str) -> dict[str, int]:
    """Bytes of each part of ``PART_LIMITS`` in the page ``text`` (they add up to the page)."""
    parts = dict.fromkeys(PART_LIMITS, 0)
    for m in _SCRIPT_SPAN.finditer(text):
        chunk = m.group(0)
        # a plain bundle, the packed one, or pako's inflate that unpacks it
        if plotlyjs_copies(chunk) or chunk.startswith(_INFLATE_TAG):
            parts["图表库"] += len(chunk.encode("utf-8"))
        elif _PLOTLY_FIGURE in chunk:
            parts["图表数据"] += len(chunk.encode("utf-8"))
    parts["图表数据"] += sum(len(m.group(0).encode("utf-8")) for m in _FIGURE_DIV.finditer(text))
    parts["表格"] = sum(len(m.group(0).encode("utf-8")) for m in _TABLE_SPAN.finditer(text))
    parts["文字及其他"] = len(text.encode("utf-8")) - sum(parts.values())
    return parts


def check_size(parts: dict[str, int], total: int, title: str) -> None:
    """Raise ``ReportTooLarge`` naming the part over its limit (or the page over the total)."""
    over = [(name, size) for name, size in parts.items() if size > PART_LIMITS[name]]
    if over:
        name, size = max(over, key=lambda item: item[1] / PART_LIMITS[item[0]])
        raise ReportTooLarge(
            f"{title}：页面中“{name}”部分 {size / MB:.1f} MB，超过该部分 {PART_LIMITS[name] / MB:.1f} MB 的上限"
            f"（全页 {total / MB:.1f} MB）；{PART_ADVICE[name]}。"
        )
    if total > MAX_HTML_BYTES:
        raise ReportTooLarge(f"{title}：页面共 {total / MB:.1f} MB，超过 {MAX_HTML_BYTES / MB:.1f} MB 的上限。")


class OfflineError(RuntimeError):
    """The HTML would need the network (a reference to another host)."""

    def __init__(self, message: str, urls: list[str]):
        super().__init__(message)
        self.urls = urls


class ReportTooLarge(RuntimeError):
    """The HTML exceeds the size limit."""


__all__ = [
    "MAX_HTML_BYTES",
    "PLOTLYJS_BUNDLE",
    "PLOTLYJS_MARK",
    "embedded_plotlyjs",
    "plotlyjs_copies",
    "plotlyjs_scripts",
    "PLOTLYJS_TRACES",
    "PART_LIMITS",
    "check_size",
    "page_parts",
    "HtmlReport",
    "OfflineError",
    "ReportTooLarge",
    "escape",
    "external_references",
    "notebook_to_html",
    "render_html",
    "report_exporter",
]
