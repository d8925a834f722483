"""lib.present.notebook: the figures a page embeds, small and still safe inside <script>."""

import json

import plotly.graph_objects as go
import plotly.io as pio
from hypothesis import given, strategies as st

from lib.present.notebook import offline_notebook_renderer, unescape_json_text


@given(st.text())
def test_unescaped_json_reads_back_the_same_and_cannot_close_the_script(text):
    figure = {"layout": {"title": {"text": text}}, "data": [{"type": "bar", "name": text + "\\u4e2d"}]}
    encoded = pio.to_json(figure, validate=False)  # as plotly writes it into the page
    compact = unescape_json_text(encoded)
    assert json.loads(compact) == json.loads(encoded)
    assert "</" not in compact and "<!--" not in compact
    assert "\u2028" not in compact and "\u2029" not in compact
    assert len(compact.encode()) <= len(encoded.encode())


def test_chinese_is_written_as_characters_and_an_escaped_backslash_stays():
    assert unescape_json_text('"\\u5357\\u5c97\\u6751"') == '"南岗村"'
    assert unescape_json_text('"\\\\u5357"') == '"\\\\u5357"'  # a literal backslash, then the text u5357
    assert unescape_json_text('"\\ud83d\\ude00 \\u003c/script\\u003e"') == '"\\ud83d\\ude00 \\u003c/script\\u003e"'


def test_the_renderer_gives_the_figure_alone():
    fig = go.Figure([go.Bar(x=["南岗村"], y=[3], name="减收户")], layout={"title": {"text": "各村减收户"}})
    html = offline_notebook_renderer(False).to_mimebundle(fig.to_dict())["text/html"]
    assert "南岗村" in html and "各村减收户" in html and "\\u5357" not in html
    assert "MutationObserver" not in html and "mathjax" not in html.lower() and "<script src" not in html
    assert "Plotly.newPlot" in html
