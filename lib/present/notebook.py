"""Notebook set-up: plotly drawing offline in a Chinese font, and a kernel that starts fast.

Every notebook (the report briefings, explore, what-if) starts with::

    from lib.present.notebook import setup_notebook
    setup_notebook()                      # plotly renderer "notebook", Chinese fonts

``setup_notebook`` makes plotly's renderer ``"notebook"``: each figure is a ``text/html``
output that nbconvert keeps and that draws with no network (neither the mimetype-only
default, which nbconvert cannot draw, nor the CDN renderer). plotly.js is embedded exactly
once: in a report run (the kernel's environment has ``ZENGSHOU_REPORT=1``) the HTML step
(``lib.report.html``) puts it into the page's ``<head>``; in an interactive session the
renderer puts it in the output of the first figure, as plotly does. It is idempotent.

This module imports nothing heavy at import time and nothing from ``lib.report`` or
``lib.interactive`` (both build on it): ``lib.report.html`` takes ``FONT_STACK`` and
``strip_cdn_mathjax`` from here, the widgets take ``avoid_slow_imports``.
"""

from __future__ import annotations

import os
import re
import sys

# plotly_white with the Chinese font stack, merged once: a "plotly_white+zengshou" default
# would be merged again for every figure made (~25 ms each).
PLOTLY_TEMPLATE = "zengshou"

# Chinese first, then Latin fallbacks; only fonts already on the reader's machine.
FONT_STACK = (
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "微软雅黑", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", "SimHei", "Helvetica Neue", Arial, sans-serif'
)

# Imported by every warm report kernel besides the notebook's own imports (``setup_notebook``
# lives here). Imports only: a warm kernel holds no state a cold one would not have.
WARM_MODULES = ("lib.present.notebook",)

# plotly's HtmlRenderer.to_mimebundle always asks for MathJax from cdnjs.
_CDN_MATHJAX_TAG = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"'](?:https?:)?//[^\"']*mathjax[^\"']*[\"'][^>]*>\s*</script>",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------
# Start-up cost
# ---------------------------------------------------------------------------------------


def avoid_slow_imports() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` (≈3 s of Lark grammar compiling).

    nbformat → jsonschema imports it, inside ``suppress(ImportError)``, only to offer the
    optional "iri" format checker that neither nbformat nor plotly uses; on this machine it
    is most of what a report kernel or a worker spends starting (upstream: jsonschema #1392,
    #1521). Marking the module absent makes that import a quick ImportError. Call before
    nbformat, nbconvert, papermill or ``plotly.io.renderers`` are first imported.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def warm_kernel(modules: tuple[str, ...] = WARM_MODULES) -> None:
    """Import ``modules`` (those that exist) so the notebook's own imports are instant.

    If they pull in plotly, its renderers and the default template are loaded too (plotly
    loads both lazily, on the first figure).
    """
    import importlib
    import importlib.util

    avoid_slow_imports()
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # parent package missing
            found = False
        if found:
            importlib.import_module(name)
    if "plotly" in sys.modules:  # the notebook's imports pulled plotly in
        import plotly.io as pio

        pio.renderers  # noqa: B018  (a lazy attribute: importing it is the point)
        pio.templates["plotly_white"]


# ---------------------------------------------------------------------------------------
# plotly offline
# ---------------------------------------------------------------------------------------

_SET_UP = False


def in_report_run() -> bool:
    """True inside a kernel started by the report pipeline (``ZENGSHOU_REPORT=1``)."""
    return os.environ.get("ZENGSHOU_REPORT") == "1"


# A JSON escape: an escaped backslash (kept, so what follows it is text) or \uXXXX.
_JSON_ESCAPE = re.compile(r"\\(\\|u([0-9a-fA-F]{4}))")


def _literal(m: re.Match) -> str:
    point = None if m.group(2) is None else int(m.group(2), 16)
    # ASCII stays escaped (plotly escapes < > / & so data never closes the <script>), and so do
    # surrogate halves and U+2028/2029 (line ends to older JavaScript engines)
    if point is None or point < 0x80 or 0xD800 <= point <= 0xDFFF or point in (0x2028, 0x2029):
        return m.group(0)
    return chr(point)


def unescape_json_text(html: str) -> str:
    """``html`` (a figure's div and script) with its JSON's \\uXXXX escapes of Chinese and
    other non-ASCII characters written as the characters: 3 bytes of UTF-8 instead of 6, for
    the same figure."""
    return _JSON_ESCAPE.sub(_literal, html)


def strip_cdn_mathjax(text: str) -> str:
    """``text`` without plotly's ``<script src=".../mathjax/...">`` tags."""
    return _CDN_MATHJAX_TAG.sub("", text)


def offline_notebook_renderer(embed_plotlyjs: bool = True):
    """plotly's "notebook" renderer without the MathJax CDN tag it adds to every figure.

    With ``embed_plotlyjs=False`` it does not send plotly.js (4.8 MB) through the kernel
    either: the figures are the same ``text/html`` outputs, and ``lib.report.html`` puts
    plotly.js once into the page's ``<head>``. That keeps the audit notebook small and
    saves the kernel, nbclient and nbformat from handling 4.8 MB per village.
    """
    import plotly.io as pio
    from plotly.io._base_renderers import NotebookRenderer

    class OfflineNotebookRenderer(NotebookRenderer):
        def activate(self):
            if embed_plotlyjs:
                super().activate()

        def to_mimebundle(self, fig_dict):
            # plotly's own to_mimebundle adds a CDN MathJax tag and a purge script for the
            # classic Notebook's #notebook-container (700 bytes a chart, dead in JupyterLab
            # and in a page): the figure alone, as the page embeds it.
            html = pio.to_html(fig_dict, config=self.config, auto_play=self.auto_play,
                               include_plotlyjs=self.include_plotlyjs, include_mathjax=False, full_html=False,
                               default_width="100%", default_height=525, validate=False)
            return {"text/html": unescape_json_text(html)}

    base = pio.renderers["notebook"]
    return OfflineNotebookRenderer(config=base.config)


def setup_notebook(embed_plotlyjs: bool | None = None) -> None:
    """Plotly renderer "notebook" (offline, plotly.js once) and a Chinese font stack.

    ``embed_plotlyjs``: None = embed plotly.js in the first figure's output except in a
    report run (``in_report_run()``), where the HTML step adds it once to the page instead.
    Registers the plotly template ``zengshou`` (plotly_white with the font family) and makes
    it the default; a chart may still set its own template.
    """
    global _SET_UP
    if _SET_UP:
        return
    avoid_slow_imports()
    import plotly.graph_objects as go
    import plotly.io as pio

    embed = not in_report_run() if embed_plotlyjs is None else embed_plotlyjs
    pio.renderers["notebook"] = offline_notebook_renderer(embed)
    pio.renderers.default = "notebook"
    fonts = go.layout.Template(layout={"font": {"family": FONT_STACK}})
    pio.templates[PLOTLY_TEMPLATE] = pio.templates.merge_templates("plotly_white", fonts)
    pio.templates.default = PLOTLY_TEMPLATE
    _SET_UP = True


__all__ = [
    "FONT_STACK",
    "PLOTLY_TEMPLATE",
    "WARM_MODULES",
    "avoid_slow_imports",
    "in_report_run",
    "offline_notebook_renderer",
    "setup_notebook",
    "strip_cdn_mathjax",
    "unescape_json_text",
    "warm_kernel",
]
