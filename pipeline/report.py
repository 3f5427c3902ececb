"""The HTML report: the three pilot units side by side, from the reporting models, offline."""

from __future__ import annotations

import math
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from . import i18n
from .errors import WarehouseError
from .export import fetch
from .settings import ALL_UNITS_CODE, Settings
from .publish import open_reporting

METRICS_REL = "reporting.rpt_unit_metrics"
OUTPUTS_REL = "reporting.rpt_outputs_unit_period"

# One panel each, in this order (two per row).
CHART_METRICS = (
    "notices_issued",
    "disputes_mediated",
    "referrals_made",
    "patrols",
    "leaflet",
    "banner",
    "signboard",
    "consult",
)
# Rows of the whole-pilot table.
TABLE_METRICS = (
    "cases_found",
    "cases_closed",
    "closure_rate",
    "median_days_to_close",
    "notices_issued",
    "notices_complied_on_time",
    "penalties",
    "fines_yuan",
    "referrals_made",
    "disputes_found",
    "disputes_mediated",
    "disputes_resolved",
    "corrected_on_spot",
    "patrols",
    "patrol_hours",
    "officer_hours",
    "issues_found",
    "grid_coverage",
    "leaflet",
    "banner",
    "blackboard",
    "board_made",
    "board_show",
    "consult",
    "slogan",
    "event",
    "signboard",
    "paving",
    "training",
)
OUTPUT_METRICS = frozenset(
    {
        "leaflet",
        "banner",
        "blackboard",
        "board_made",
        "board_show",
        "consult",
        "slogan",
        "event",
        "signboard",
        "paving",
        "training",
    }
)
UNIT_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
FONT_STACK = (
    '"Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif'
)
PLOTLY_JS = "plotly.min.js"

CSS = """
body { font-family: %(font)s; margin: 2rem auto; max-width: 1200px; padding: 0 1rem;
       color: #222; line-height: 1.5; }
h1 { font-size: 1.6rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.6rem; }
th { background: #f4f4f4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note, footer { color: #666; font-size: 0.85rem; }
"""


def _records(names: list[str], rows: list[tuple]) -> list[dict[str, Any]]:
    return [dict(zip(names, row)) for row in rows]


def _read(settings: Settings) -> tuple[list[dict], list[dict], set[tuple]]:
    """Monthly rows, whole-pilot rows, and which (period, unit, start, metric) hold approximations."""
    con = open_reporting(settings)
    try:
        monthly = _records(
            *fetch(
                con,
                f"select * from {METRICS_REL} where period = ? and unit_code <> ? "
                "order by unit_code, period_start",
                ["month", ALL_UNITS_CODE],
                METRICS_REL,
            )
        )
        whole = _records(
            *fetch(
                con,
                f"select * from {METRICS_REL} where period = ? order by unit_code = ?, unit_code",
                ["all", ALL_UNITS_CODE],
                METRICS_REL,
            )
        )
        _, approx_rows = fetch(
            con,
            f"select period, unit_code, period_start, output_code from {OUTPUTS_REL} "
            "where period in (?, ?) and is_approximate",
            ["month", "all"],
            OUTPUTS_REL,
        )
    finally:
        con.close()
    if not whole:
        raise WarehouseError(
            f"报表模型中没有数据 / no data in {METRICS_REL}",
            hint="load ledgers with `pilot ingest`, then `pilot build`",
        )
    approx = {(p, u, s, code.lower()) for p, u, s, code in approx_rows}
    return monthly, whole, approx


def _number(value: Any, metric: str, per_10k: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if metric in i18n.SHARES:
        return f"{float(value):.1%}"
    if per_10k:
        return f"{float(value):,.2f}"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{float(value):,.1f}"


def monthly_figure(
    monthly: list[dict], units: list[tuple[str, str]], approx: set[tuple], lang: str
) -> go.Figure:
    """Small multiples, one panel per headline metric, a line per unit; buttons switch to per 10k."""
    present = set(monthly[0]) if monthly else set()
    metrics = [m for m in CHART_METRICS if m in present] or list(CHART_METRICS)
    ncols = 2
    nrows = math.ceil(len(metrics) / ncols)
    fig = make_subplots(
        rows=nrows,
        cols=ncols,
        shared_xaxes=True,
        vertical_spacing=0.3 / nrows,
        horizontal_spacing=0.1,
        subplot_titles=[i18n.metric_label(m, lang) for m in metrics],
    )
    by_unit: dict[str, list[dict]] = {code: [] for code, _ in units}
    for row in monthly:
        by_unit.setdefault(row["unit_code"], []).append(row)
    colours = {code: UNIT_COLOURS[i % len(UNIT_COLOURS)] for i, (code, _) in enumerate(units)}
    approx_text = " ≈ " + i18n.text("approximate_hover", lang)
    visible_abs: list[bool] = []
    for per_10k in (False, True):
        for i, metric in enumerate(metrics):
            measure = i18n.metric_unit(metric, lang)
            label = i18n.metric_label(metric, lang)
            column = f"{metric}_per_10k" if per_10k else metric
            if per_10k:
                value_fmt = f"%{{y:,.2f}} {escape(i18n.metric_unit(metric, lang, per_10k=True))}"
                value_fmt += f" (%{{customdata[0]:,}} {escape(measure)})"
            else:
                value_fmt = f"%{{y:,}} {escape(measure)}"
            template = (
                f"<b>%{{fullData.name}}</b><br>%{{x|%Y-%m}}<br>{escape(label)}: "
                f"{value_fmt}%{{customdata[1]}}<extra></extra>"
            )
            for code, name in units:
                rows = by_unit.get(code, [])
                fig.add_trace(
                    go.Scatter(
                        x=[r["period_start"] for r in rows],
                        y=[r.get(column) for r in rows],
                        customdata=[
                            [
                                r.get(metric),
                                approx_text
                                if ("month", code, r["period_start"], metric) in approx
                                else "",
                            ]
                            for r in rows
                        ],
                        name=escape(i18n.unit_name(code, name, lang)),
                        legendgroup=code,
                        showlegend=(i == 0 and not per_10k),
                        mode="lines+markers",
                        line={"color": colours[code], "width": 2},
                        marker={"size": 5},
                        hovertemplate=template,
                        visible=not per_10k,
                    ),
                    row=i // ncols + 1,
                    col=i % ncols + 1,
                )
                visible_abs.append(not per_10k)
    visible_per_10k = [not v for v in visible_abs]

    def axis_titles(per_10k: bool) -> dict[str, str]:
        return {
            f"yaxis{'' if i == 0 else i + 1}.title.text": i18n.metric_unit(m, lang, per_10k)
            for i, m in enumerate(metrics)
        }

    for i, metric in enumerate(metrics):
        fig.update_yaxes(
            title_text=i18n.metric_unit(metric, lang),
            rangemode="tozero",
            row=i // ncols + 1,
            col=i % ncols + 1,
        )
    fig.update_xaxes(tickformat="%Y-%m", dtick="M2")
    for col in range(1, ncols + 1):
        fig.update_xaxes(title_text=i18n.text("month", lang), row=nrows, col=col)
    fig.update_layout(
        title={"text": i18n.text("monthly_absolute", lang), "x": 0, "xanchor": "left"},
        height=260 * nrows + 160,
        font={"family": FONT_STACK},
        template="plotly_white",
        hovermode="closest",
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"},
        margin={"t": 130},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 0,
                "xanchor": "left",
                "y": 1.02,
                "yanchor": "bottom",
                "showactive": True,
                "active": 0,
                "buttons": [
                    {
                        "label": i18n.text("view_absolute", lang),
                        "method": "update",
                        "args": [
                            {"visible": visible_abs},
                            {
                                "title.text": i18n.text("monthly_absolute", lang),
                                **axis_titles(False),
                            },
                        ],
                    },
                    {
                        "label": i18n.text("view_per_10k", lang),
                        "method": "update",
                        "args": [
                            {"visible": visible_per_10k},
                            {"title.text": i18n.text("monthly_per_10k", lang), **axis_titles(True)},
                        ],
                    },
                ],
            }
        ],
    )
    return fig


def headline_table(whole: list[dict], approx: set[tuple], lang: str) -> str:
    """The whole-pilot table: a row per metric, a column per unit, per-10k values in brackets."""
    head = "".join(
        f"<th>{escape(i18n.unit_name(r['unit_code'], r.get('unit_name') or '', lang))}</th>"
        for r in whole
    )
    lines = [
        "<table>",
        (
            f"<thead><tr><th>{escape(i18n.text('metric', lang))}</th>"
            f"<th>{escape(i18n.text('unit_of_measure', lang))}</th>{head}</tr></thead>"
        ),
        "<tbody>",
    ]
    present = set(whole[0])
    for metric in ("population", *TABLE_METRICS):
        if metric not in present:
            continue
        cells = []
        for r in whole:
            text = _number(r.get(metric), metric)
            per_10k = f"{metric}_per_10k"
            if per_10k in r and r[per_10k] is not None:
                text += f" ({_number(r[per_10k], metric, per_10k=True)})"
            if ("all", r["unit_code"], r["period_start"], metric) in approx:
                text = "≈ " + text
            cells.append(f'<td class="num">{escape(text)}</td>')
        lines.append(
            f"<tr><th>{escape(i18n.metric_label(metric, lang))}</th>"
            f"<td>{escape(i18n.metric_unit(metric, lang))}</td>{''.join(cells)}</tr>"
        )
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def render(monthly: list[dict], whole: list[dict], approx: set[tuple], lang: str) -> str:
    """The page as HTML text; plotly.js is loaded from the file beside it."""
    units = [
        (r["unit_code"], r.get("unit_name") or r["unit_code"])
        for r in whole
        if r["unit_code"] != ALL_UNITS_CODE
    ]
    fig = monthly_figure(monthly, units, approx, lang)
    figure_html = pio.to_html(
        fig,
        include_plotlyjs=False,
        full_html=False,
        div_id="monthly",
        default_height=f"{fig.layout.height}px",
        config={"displaylogo": False, "responsive": True},
    )
    title = i18n.text("title", lang)
    caption = i18n.text("headline_caption", lang).format(
        start=_iso(whole[0]["period_start"]), end=_iso(whole[0]["period_end"])
    )
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{CSS % {"font": FONT_STACK}}</style>
<script charset="utf-8" src="{PLOTLY_JS}"></script>
</head>
<body>
<h1>{escape(title)}</h1>
<section>
<h2>{escape(i18n.text("headline_heading", lang))}</h2>
<p>{escape(caption)}</p>
{headline_table(whole, approx, lang)}
<p class="note">{escape(i18n.text("approximate_note", lang))}</p>
</section>
<section>
<h2>{escape(i18n.text("monthly_heading", lang))}</h2>
{figure_html}
</section>
<footer>{escape(i18n.text("source_note", lang))}</footer>
</body>
</html>
"""


def write_report(settings: Settings, out_dir: Path | None = None, lang: str = "zh") -> Path:
    """Write index.html and plotly.min.js into out_dir (default: settings.reports_dir)."""
    i18n.check_lang(lang)
    target = Path(out_dir or settings.reports_dir).expanduser().resolve()
    monthly, whole, approx = _read(settings)
    page = render(monthly, whole, approx, lang)
    target.mkdir(parents=True, exist_ok=True)
    # Written every time so the bundle always matches the installed plotly; never a CDN.
    (target / PLOTLY_JS).write_text(get_plotlyjs(), encoding="utf-8")
    index = target / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
