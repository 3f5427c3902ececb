"""Plotly in the analyst notebooks: figures carry plotly.js and load nothing from the web."""

from __future__ import annotations

import plotly.io as pio

OFFLINE_RENDERER = "pilot_offline"


class OfflineNotebookRenderer(type(pio.renderers["notebook"])):
    """plotly's `notebook` renderer without MathJax, which it always loads from a CDN.

    plotly.js itself goes into the notebook once, when the renderer is activated; the figures
    hold no formulas, so MathJax has nothing to typeset.
    """

    def to_mimebundle(self, fig_dict: dict) -> dict:
        html = pio.to_html(
            fig_dict,
            config=self.config,
            auto_play=self.auto_play,
            include_plotlyjs=self.include_plotlyjs,
            include_mathjax=False,
            post_script=self.post_script,
            full_html=self.full_html,
            animation_opts=self.animation_opts,
            default_width="100%",
            default_height=525,
            validate=False,
        )
        return {"text/html": html}


def use_offline_figures() -> None:
    """Show figures as plotly's mime type (JupyterLab) and as offline HTML (nbconvert, classic)."""
    if OFFLINE_RENDERER not in pio.renderers:
        pio.renderers[OFFLINE_RENDERER] = OfflineNotebookRenderer()
    pio.renderers.default = f"plotly_mimetype+{OFFLINE_RENDERER}"
