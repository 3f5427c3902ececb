"""The report's charts: plotly figures of selected reporting rows, each with the data behind it."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from . import i18n
from .settings import ALL_UNITS_CODE

UNIT_COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#aec7e8",
    "#ff9896",
)
# The pilot as a whole, drawn beside the top units when there are too many to draw each.
ALL_COLOUR = "#222222"
FONT_STACK = (
    '"Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", "SimHei", sans-serif'
)

# Overview panels, in this order (two per row).
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
ACTION_METRICS = (
    "corrected_on_spot",
    "notices_issued",
    "penalties",
    "referrals_made",
    "disputes_mediated",
)
PATROL_METRICS = ("patrols", "patrol_hours", "officer_hours")


@dataclass
class Chart:
    """A figure with a stable id and the rows behind it, offered as CSV beside the chart."""

    key: str
    title: str
    figure: go.Figure
    columns: Sequence[str]
    rows: list[Sequence[Any]]


def _e(value: Any) -> str:
    """Text from the data as plotly shows it (plotly reads a subset of HTML in labels)."""
    return escape(str(value))


def item_label(code: str, name: str | None) -> str:
    """A catalogue item as code and name; the catalogue names items in Chinese only, and a
    Chinese name on the English site says more than a bare code."""
    return f"{code} {name}" if name else code


def unit_label(code: str, name: str, lang: str) -> str:
    return _e(i18n.unit_name(code, name, lang))


def _colours(units: Sequence[tuple[str, str]]) -> dict[str, str]:
    colours = {code: UNIT_COLOURS[i % len(UNIT_COLOURS)] for i, (code, _) in enumerate(units)}
    if ALL_UNITS_CODE in colours:
        colours[ALL_UNITS_CODE] = ALL_COLOUR
    return colours


@contextmanager
def _white_template() -> Iterator[None]:
    """plotly_white as the template of the figures made inside.

    plotly gives a new figure its default template without checking it; set afterwards with
    update_layout, the same template is checked and copied again for every figure.
    """
    saved = pio.templates.default
    pio.templates.default = "plotly_white"
    try:
        yield
    finally:
        pio.templates.default = saved


def _figure(*data) -> go.Figure:
    with _white_template():
        return go.Figure(*data)


def _subplots(**kwargs) -> go.Figure:
    with _white_template():
        return make_subplots(**kwargs)


def _finish(fig: go.Figure, title: str, height: int, top: int = 90) -> go.Figure:
    fig.update_layout(
        title={"text": _e(title), "x": 0, "xanchor": "left"},
        height=height,
        font={"family": FONT_STACK},
        hovermode="closest",
        margin={"t": top, "l": 70, "r": 30, "b": 60},
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"},
    )
    return fig


def _day(value: date | None) -> str | None:
    """A date as plotly writes it in the page; a string is copied and checked far faster."""
    return None if value is None else value.isoformat()


def _markers(sizes: list[int], symbols: list[str]) -> dict:
    """Per-point marker sizes and symbols, or one of each when every point has the same.

    Most series have no notable change; one value for all their points keeps the page smaller
    and plotly from checking every point's symbol.
    """
    if len(set(sizes)) <= 1 and len(set(symbols)) <= 1:
        return {"size": sizes[0] if sizes else 5, "symbol": symbols[0] if symbols else "circle"}
    return {"size": sizes, "symbol": symbols}


def _axis_ref(i: int) -> str:
    return "" if i == 0 else str(i + 1)


def add_events(fig: go.Figure, events: list[dict], panels: int, ncols: int, lang: str) -> None:
    """Dated events as dotted vertical lines on every panel, labelled along the top row.

    The shapes and labels are set in one update: plotly's add_shape and add_annotation each
    validate and copy every shape or label already there (at 20 events on 10 panels, most
    of the time a page took to render).
    """
    label_key = "label_zh" if lang == "zh" else "label_en"
    shapes, annotations = [], []
    for event in events:
        x = event["event_date"].isoformat()
        for i in range(panels):
            ref = _axis_ref(i)
            shapes.append(
                {
                    "type": "line",
                    "xref": f"x{ref}",
                    "yref": f"y{ref} domain",
                    "x0": x,
                    "x1": x,
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#888", "width": 1, "dash": "dot"},
                }
            )
            if i < ncols:
                annotations.append(
                    {
                        "xref": f"x{ref}",
                        "yref": f"y{ref} domain",
                        "x": x,
                        "y": 1,
                        "text": _e(event[label_key]),
                        "showarrow": False,
                        "xanchor": "left",
                        "yanchor": "top",
                        "font": {"size": 10, "color": "#555"},
                    }
                )
    if shapes:
        # After the subplot titles, which are annotations too.
        fig.update_layout(
            shapes=[*fig.layout.shapes, *shapes],
            annotations=[*fig.layout.annotations, *annotations],
        )


def small_multiples(
    key: str,
    rows: list[dict],
    units: Sequence[tuple[str, str]],
    metrics: Sequence[str],
    lang: str,
    *,
    x_key: str,
    x_title: str,
    x_format: str,
    title_abs: str,
    title_per_10k: str | None = None,
    events: list[dict] | None = None,
    changes: dict[tuple[str, date, str], dict] | None = None,
    approx: set[tuple[str, date, str]] | None = None,
    ncols: int = 2,
) -> Chart:
    """One panel per metric, a line per unit; with title_per_10k, buttons switch to per 10k."""
    nrows = math.ceil(len(metrics) / ncols)
    fig = _subplots(
        rows=nrows,
        cols=ncols,
        shared_xaxes=True,
        vertical_spacing=min(0.3 / nrows, 0.12),
        horizontal_spacing=0.1,
        subplot_titles=[_e(i18n.metric_label(m, lang)) for m in metrics],
    )
    changes = changes or {}
    approx = approx or set()
    by_unit: dict[str, list[dict]] = {code: [] for code, _ in units}
    for row in rows:
        by_unit.setdefault(row["unit_code"], []).append(row)
    colours = _colours(units)
    approx_text = " ≈ " + i18n.text("approximate_hover", lang)
    views = (False, True) if title_per_10k else (False,)
    visible: list[bool] = []
    # Plain dicts, added in one call: plotly validates a go.Scatter when it is made and again
    # when it is added, and at 2,000 units a page has thousands of points per panel.
    traces: list[dict] = []
    trace_rows: list[int] = []
    trace_cols: list[int] = []
    for per_10k in views:
        for i, metric in enumerate(metrics):
            measure = i18n.metric_unit(metric, lang)
            label = i18n.metric_label(metric, lang)
            column = f"{metric}_per_10k" if per_10k else metric
            if metric in i18n.SHARES:
                value_fmt = "%{y:.1%}"
            elif per_10k:
                unit_10k = i18n.metric_unit(metric, lang, per_10k=True)
                value_fmt = f"%{{y:,.2f}} {_e(unit_10k)} (%{{customdata[0]:,}} {_e(measure)})"
            else:
                value_fmt = f"%{{y:,}} {_e(measure)}"
            template = (
                f"<b>%{{fullData.name}}</b><br>%{{x|{x_format}}}<br>{_e(label)}: "
                f"{value_fmt}%{{customdata[1]}}<extra></extra>"
            )
            for code, name in units:
                series = by_unit.get(code, [])
                notes, symbols, sizes = [], [], []
                for r in series:
                    change = changes.get((code, r[x_key], metric))
                    note = ""
                    if (code, r[x_key], metric) in approx:
                        note += approx_text
                    if change and change["z_score"] is not None:
                        z = f"{change['z_score']:+.2f}"
                        note += "<br>" + i18n.text("hover_z", lang).format(z=z)
                    notes.append(note)
                    notable = bool(change and change["is_notable"])
                    symbols.append("diamond" if notable else "circle")
                    sizes.append(11 if notable else 5)
                traces.append(
                    {
                        "type": "scatter",
                        "x": [_day(r[x_key]) for r in series],
                        "y": [r.get(column) for r in series],
                        "customdata": [[r.get(metric), n] for r, n in zip(series, notes)],
                        "name": unit_label(code, name, lang),
                        "legendgroup": code,
                        "showlegend": i == 0 and not per_10k,
                        "mode": "lines+markers",
                        "line": {"color": colours[code], "width": 2},
                        "marker": _markers(sizes, symbols),
                        "hovertemplate": template,
                        "visible": not per_10k,
                    }
                )
                trace_rows.append(i // ncols + 1)
                trace_cols.append(i % ncols + 1)
                visible.append(not per_10k)
    if traces:
        fig.add_traces(traces, rows=trace_rows, cols=trace_cols)

    def axis_titles(per_10k: bool) -> dict[str, str]:
        return {
            f"yaxis{_axis_ref(i)}.title.text": _e(i18n.metric_unit(m, lang, per_10k))
            for i, m in enumerate(metrics)
        }

    for i, metric in enumerate(metrics):
        fig.update_yaxes(
            title_text=_e(i18n.metric_unit(metric, lang)),
            rangemode="tozero",
            tickformat=".0%" if metric in i18n.SHARES else None,
            row=i // ncols + 1,
            col=i % ncols + 1,
        )
    fig.update_xaxes(tickformat=x_format, showticklabels=True)
    for col in range(1, ncols + 1):
        fig.update_xaxes(title_text=_e(x_title), row=nrows, col=col)
    add_events(fig, events or [], len(metrics), ncols, lang)
    _finish(fig, title_abs, 250 * nrows + 170, top=130 if title_per_10k else 110)
    if title_per_10k:
        n = len(visible) // 2
        fig.update_layout(
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
                                {"visible": [True] * n + [False] * n},
                                {"title.text": _e(title_abs), **axis_titles(False)},
                            ],
                        },
                        {
                            "label": i18n.text("view_per_10k", lang),
                            "method": "update",
                            "args": [
                                {"visible": [False] * n + [True] * n},
                                {"title.text": _e(title_per_10k), **axis_titles(True)},
                            ],
                        },
                    ],
                }
            ]
        )
    columns = ["unit_code", x_key, "metric", "value"]
    if title_per_10k:
        columns.append("value_per_10k")
    if changes:
        columns += ["z_score", "is_notable"]
    csv_rows = []
    for metric in metrics:
        for r in rows:
            line = [r["unit_code"], r[x_key], metric, r.get(metric)]
            if title_per_10k:
                line.append(r.get(f"{metric}_per_10k"))
            if changes:
                change = changes.get((r["unit_code"], r[x_key], metric)) or {}
                line += [change.get("z_score"), change.get("is_notable")]
            csv_rows.append(line)
    return Chart(key, title_abs, fig, columns, csv_rows)


def monthly_figure(data, lang: str) -> Chart:
    """The overview: headline metrics month by month, with events and notable changes."""
    present = set(data.monthly[0]) if data.monthly else set(CHART_METRICS)
    return small_multiples(
        "monthly",
        data.monthly,
        data.units,
        [m for m in CHART_METRICS if m in present],
        lang,
        x_key="period_start",
        x_title=i18n.text("month", lang),
        x_format="%Y-%m",
        title_abs=i18n.text("monthly_absolute", lang),
        title_per_10k=i18n.text("monthly_per_10k", lang),
        events=data.events,
        changes=data.monthly_changes,
        approx=data.approx_monthly,
    )


def actions_figure(data, lang: str) -> Chart:
    return small_multiples(
        "actions",
        data.monthly,
        data.units,
        ACTION_METRICS,
        lang,
        x_key="period_start",
        x_title=i18n.text("month", lang),
        x_format="%Y-%m",
        title_abs=i18n.text("actions_absolute", lang),
        title_per_10k=i18n.text("actions_per_10k", lang),
        events=data.events,
    )


def closure_figure(data, lang: str) -> Chart:
    return small_multiples(
        "closure",
        data.monthly,
        data.units,
        ("closure_rate", "median_days_to_close"),
        lang,
        x_key="period_start",
        x_title=i18n.text("month", lang),
        x_format="%Y-%m",
        title_abs=i18n.text("closure_title", lang),
        events=data.events,
    )


def patrols_figure(data, lang: str) -> Chart:
    return small_multiples(
        "patrols_weekly",
        data.weekly,
        data.units,
        PATROL_METRICS,
        lang,
        x_key="week_start",
        x_title=i18n.text("week", lang),
        x_format="%Y-%m-%d",
        title_abs=i18n.text("patrols_title", lang),
        events=data.events,
        ncols=1,
    )


def issues_rate_figure(data, lang: str) -> Chart:
    fig = _figure()
    colours = _colours(data.units)
    unit = i18n.text("issues_rate_unit", lang)
    for code, name in data.units:
        series = [r for r in data.weekly if r["unit_code"] == code]
        fig.add_trace(
            go.Scatter(
                x=[r["week_start"] for r in series],
                y=[r["issues_per_patrol_hour"] for r in series],
                customdata=[[r["issues_found"], r["patrol_hours"]] for r in series],
                name=unit_label(code, name, lang),
                mode="lines+markers",
                marker={"size": 4},
                line={"color": colours[code]},
                hovertemplate=(
                    "<b>%{fullData.name}</b><br>%{x|%Y-%m-%d}<br>%{y:.2f} "
                    f"{_e(unit)}<br>{_e(i18n.metric_label('issues_found', lang))}: "
                    f"%{{customdata[0]:,}}<br>{_e(i18n.metric_label('patrol_hours', lang))}: "
                    "%{customdata[1]:,.2f}<extra></extra>"
                ),
            )
        )
    fig.update_xaxes(title_text=_e(i18n.text("week", lang)), tickformat="%Y-%m")
    fig.update_yaxes(title_text=_e(unit), rangemode="tozero")
    add_events(fig, data.events, 1, 1, lang)
    title = i18n.text("issues_rate_title", lang)
    _finish(fig, title, 420)
    columns = ["unit_code", "week_start", "issues_found", "patrol_hours", "issues_per_patrol_hour"]
    rows = [[r[c] for c in columns] for r in data.weekly]
    return Chart("issues_rate", title, fig, columns, rows)


def grid_heatmaps(data, lang: str) -> list[Chart]:
    """A grid x week heatmap of patrols for each unit with grids."""
    charts = []
    for code, name in data.units:
        cells = [r for r in data.grid_weeks if r["unit_code"] == code]
        if not cells:
            continue
        grids: list[tuple[str, str]] = []
        for r in cells:
            if (r["grid_code"], r["grid_name"]) not in grids:
                grids.append((r["grid_code"], r["grid_name"]))
        weeks = sorted({r["week_start"] for r in cells})
        at = {(r["grid_code"], r["week_start"]): r for r in cells}
        z = [[at[(g, w)]["patrols"] if (g, w) in at else None for w in weeks] for g, _ in grids]
        hours = [
            [at[(g, w)]["patrol_hours"] if (g, w) in at else None for w in weeks] for g, _ in grids
        ]
        labels = [_e(g if lang == "en" else f"{g} {n or ''}".strip()) for g, n in grids]
        measure = i18n.metric_unit("patrols", lang)
        fig = _figure(
            go.Heatmap(
                x=weeks,
                y=labels,
                z=z,
                customdata=hours,
                colorscale=[[0, "#f7f7f7"], [0.001, "#c6dbef"], [1, "#08306b"]],
                colorbar={"title": {"text": _e(measure)}},
                xgap=1,
                ygap=1,
                hovertemplate=(
                    f"%{{y}}<br>{_e(i18n.text('week', lang))}: %{{x|%Y-%m-%d}}<br>"
                    f"{_e(i18n.metric_label('patrols', lang))}: %{{z:,}} {_e(measure)}<br>"
                    f"{_e(i18n.metric_label('patrol_hours', lang))}: %{{customdata:,.2f}} "
                    f"{_e(i18n.metric_unit('patrol_hours', lang))}<extra></extra>"
                ),
            )
        )
        fig.update_xaxes(title_text=_e(i18n.text("week", lang)), tickformat="%Y-%m")
        fig.update_yaxes(title_text=_e(i18n.text("grid", lang)), autorange="reversed")
        title = i18n.text("grid_title", lang).format(unit=i18n.unit_name(code, name, lang))
        _finish(fig, title, 140 + 32 * len(grids), top=60)
        columns = ["unit_code", "grid_code", "week_start", "week_end", "patrols", "patrol_hours"]
        charts.append(
            Chart(f"grid_{code}", title, fig, columns, [[r[c] for c in columns] for r in cells])
        )
    return charts


def notices_figure(data, lang: str) -> Chart:
    totals = [r for r in data.totals if r["unit_code"] in {c for c, _ in data.compared}]
    names = {c: n for c, n in data.compared}
    x = [unit_label(r["unit_code"], names[r["unit_code"]], lang) for r in totals]
    fig = _figure()
    measure = i18n.metric_unit("notices_issued", lang)
    for metric, colour in (("notices_issued", "#6baed6"), ("notices_complied_on_time", "#08519c")):
        fig.add_trace(
            go.Bar(
                x=x,
                y=[r[metric] for r in totals],
                name=_e(i18n.metric_label(metric, lang)),
                marker={"color": colour},
                hovertemplate=f"%{{x}}<br>%{{fullData.name}}: %{{y:,}} {_e(measure)}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=_e(measure), rangemode="tozero")
    fig.update_xaxes(title_text=_e(i18n.text("unit_of_measure", lang)))
    title = i18n.text("notices_title", lang)
    _finish(fig, title, 380)
    columns = ["unit_code", "notices_issued", "notices_complied_on_time"]
    return Chart("notices", title, fig, columns, [[r[c] for c in columns] for r in totals])


def referrals_figure(data, lang: str) -> Chart | None:
    if not data.referrals:
        return None
    names = {c: n for c, n in data.compared}
    units = [c for c, _ in data.compared if any(r["unit_code"] == c for r in data.referrals)]
    depts: list[tuple[str, str]] = []
    for r in data.referrals:
        if (r["dept_code"], r["department"]) not in depts:
            depts.append((r["dept_code"], r["department"]))
    labels = [unit_label(c, names[c], lang) for c in units] + [
        _e(i18n.department_name(c, n, lang)) for c, n in depts
    ]
    colours = _colours(data.compared)
    dept_index = {c: len(units) + i for i, (c, _) in enumerate(depts)}
    measure = i18n.metric_unit("referrals_made", lang)
    fig = _figure(
        go.Sankey(
            node={
                "label": labels,
                "pad": 18,
                "color": [colours[c] for c in units] + ["#999"] * len(depts),
                "hovertemplate": f"%{{label}}: %{{value:,}} {_e(measure)}<extra></extra>",
            },
            link={
                "source": [units.index(r["unit_code"]) for r in data.referrals],
                "target": [dept_index[r["dept_code"]] for r in data.referrals],
                "value": [r["referrals"] for r in data.referrals],
                "hovertemplate": (
                    f"%{{source.label}} → %{{target.label}}: %{{value:,}} {_e(measure)}"
                    "<extra></extra>"
                ),
            },
        )
    )
    title = i18n.text("referrals_title", lang) + f" ({measure})"
    _finish(fig, title, 420)
    columns = ["unit_code", "dept_code", "department", "referrals"]
    return Chart(
        "referrals", title, fig, columns, [[r[c] for c in columns] for r in data.referrals]
    )


def case_mix_figure(data, lang: str) -> Chart:
    names = {c: n for c, n in data.compared}
    y = [unit_label(c, n, lang) for c, n in data.compared]
    categories: list[tuple[str, str]] = []
    for r in data.case_mix:
        if (r["category_code"], r["category"]) not in categories:
            categories.append((r["category_code"], r["category"]))
    at = {(r["unit_code"], r["category_code"]): r["cases_found"] for r in data.case_mix}
    measure = i18n.metric_unit("cases_found", lang)
    fig = _figure()
    for code, cat in categories:
        fig.add_trace(
            go.Bar(
                y=y,
                x=[at.get((u, code), 0) for u in names],
                name=_e(i18n.category_name(code, cat, lang)),
                orientation="h",
                hovertemplate=f"%{{y}}<br>%{{fullData.name}}: %{{x:,}} {_e(measure)}<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text=_e(f"{i18n.metric_label('cases_found', lang)} ({measure})"))
    fig.update_yaxes(title_text=_e(i18n.text("unit_of_measure", lang)))
    title = i18n.text("case_mix_title", lang)
    _finish(fig, title, 200 + 60 * len(y), top=110)
    columns = ["unit_code", "category_code", "category", "cases_found"]
    return Chart("case_mix", title, fig, columns, [[r[c] for c in columns] for r in data.case_mix])


# The marker of a month whose running total includes an approximate quantity (余/约).
HOLLOW_MARKER = "circle-open"


def draws_hollow_markers(chart: Chart) -> bool:
    """Whether the chart draws a hollow marker, which its caption then explains."""
    for trace in chart.figure.data:
        symbols = getattr(getattr(trace, "marker", None), "symbol", None)
        if symbols is not None and HOLLOW_MARKER in (
            (symbols,) if isinstance(symbols, str) else symbols
        ):
            return True
    return False


# The line of a unit's target on the outputs chart.
TARGET_DASH = "dash"


def draws_target_lines(chart: Chart) -> bool:
    """Whether the chart draws a target line, which its caption then explains."""
    return any(
        getattr(getattr(trace, "line", None), "dash", None) == TARGET_DASH
        for trace in chart.figure.data
    )


def outputs_figure(data, lang: str, ncols: int = 2) -> Chart:
    """Each output type's running total per unit, with the unit's target as a dashed line."""
    types: list[tuple[str, str]] = []
    for r in data.cumulative:
        if (r["output_code"], r["measure"]) not in types:
            types.append((r["output_code"], r["measure"]))
    nrows = max(1, math.ceil(len(types) / ncols))
    titles = [
        _e(
            i18n.text("outputs_title", lang).format(
                output=i18n.metric_label(code.lower(), lang),
                measure=i18n.metric_unit(code.lower(), lang) or measure,
            )
        )
        for code, measure in types
    ]
    fig = _subplots(
        rows=nrows,
        cols=ncols,
        vertical_spacing=min(0.3 / nrows, 0.1),
        horizontal_spacing=0.1,
        subplot_titles=titles,
    )
    colours = _colours(data.units)
    approx_text = " ≈ " + i18n.text("approximate_hover", lang)
    # Plain dicts added in one call, as in small_multiples.
    traces: list[dict] = []
    trace_rows: list[int] = []
    trace_cols: list[int] = []
    for i, (otype, measure) in enumerate(types):
        unit_measure = _e(i18n.metric_unit(otype.lower(), lang) or measure)
        row, col = i // ncols + 1, i % ncols + 1
        for code, name in data.units:
            series = [
                r for r in data.cumulative if r["output_code"] == otype and r["unit_code"] == code
            ]
            if not series:
                continue
            label = unit_label(code, name, lang)
            traces.append(
                {
                    "type": "scatter",
                    "x": [_day(r["month_start"]) for r in series],
                    "y": [r["cumulative_quantity"] for r in series],
                    "customdata": [
                        [r["quantity"], approx_text if r["cumulative_is_approximate"] else ""]
                        for r in series
                    ],
                    "name": label,
                    "legendgroup": code,
                    "showlegend": i == 0,
                    "mode": "lines+markers",
                    "line": {"color": colours[code]},
                    "marker": {
                        "size": 6,
                        "symbol": [
                            HOLLOW_MARKER if r["cumulative_is_approximate"] else "circle"
                            for r in series
                        ],
                    },
                    "hovertemplate": (
                        f"<b>%{{fullData.name}}</b><br>%{{x|%Y-%m}}<br>"
                        f"{_e(i18n.text('cumulative', lang))}: %{{y:,}} {unit_measure}"
                        f" (+%{{customdata[0]:,}})%{{customdata[1]}}<extra></extra>"
                    ),
                }
            )
            trace_rows.append(row)
            trace_cols.append(col)
            target = series[-1]["target_quantity"]
            if target is not None:
                traces.append(
                    {
                        "type": "scatter",
                        "x": [_day(series[0]["month_start"]), _day(series[-1]["target_date"])],
                        "y": [target, target],
                        "name": f"{label} {_e(i18n.text('target', lang))}",
                        "legendgroup": code,
                        "showlegend": False,
                        "mode": "lines",
                        "line": {"color": colours[code], "dash": TARGET_DASH, "width": 1},
                        "hovertemplate": (
                            f"<b>{label}</b> {_e(i18n.text('target', lang))}: "
                            f"%{{y:,}} {unit_measure}<extra></extra>"
                        ),
                    }
                )
                trace_rows.append(row)
                trace_cols.append(col)
        fig.update_yaxes(title_text=unit_measure, rangemode="tozero", row=row, col=col)
        fig.update_xaxes(tickformat="%Y-%m", row=row, col=col)
    if traces:
        fig.add_traces(traces, rows=trace_rows, cols=trace_cols)
    for col in range(1, ncols + 1):
        fig.update_xaxes(title_text=_e(i18n.text("month", lang)), row=nrows, col=col)
    title = i18n.text("outputs_heading", lang)
    _finish(fig, title, 250 * nrows + 150, top=110)
    columns = [
        "unit_code",
        "month_start",
        "output_code",
        "quantity",
        "cumulative_quantity",
        "cumulative_is_approximate",
        "target_quantity",
        "target_date",
    ]
    rows = [[r[c] for c in columns] for r in data.cumulative]
    return Chart("outputs", title, fig, columns, rows)


def quality_figure(data, lang: str) -> Chart | None:
    if not data.files:
        return None
    y = [
        _e(
            i18n.text("file_status", lang).format(
                file=r["file_name"], status=i18n.file_status(r["status"], lang)
            )
        )
        for r in data.files
    ]
    rows_unit = i18n.text("rows", lang)
    fig = _figure()
    for column, colour in (
        ("rows_loaded", "#2ca02c"),
        ("rows_quarantined", "#d62728"),
        ("rows_skipped", "#bbbbbb"),
    ):
        fig.add_trace(
            go.Bar(
                y=y,
                x=[r[column] or 0 for r in data.files],
                name=_e(i18n.text(column, lang)),
                orientation="h",
                marker={"color": colour},
                hovertemplate=(
                    f"%{{y}}<br>%{{fullData.name}}: %{{x:,}} {_e(rows_unit)}<extra></extra>"
                ),
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text=_e(f"{i18n.text('rows_read', lang)} ({rows_unit})"))
    fig.update_yaxes(title_text=_e(i18n.text("file", lang)), autorange="reversed")
    title = i18n.text("quality_title", lang)
    _finish(fig, title, 160 + 28 * len(y), top=110)
    columns = [
        "file_name",
        "ledger",
        "status",
        "rows_read",
        "rows_loaded",
        "rows_quarantined",
        "rows_skipped",
    ]
    return Chart("quality", title, fig, columns, [[r[c] for c in columns] for r in data.files])


def catalogue_figure(data, lang: str, table_units: Sequence[tuple[str, str]]) -> Chart:
    """Items x units heatmap of cases found over the range; unused items stay visible."""
    items: list[tuple[str, str]] = []
    for r in data.items:
        if (r["item_code"], r["item_name"]) not in items:
            items.append((r["item_code"], r["item_name"]))
    at = {(r["item_code"], r["unit_code"]): r["cases_found"] for r in data.items}
    x = [unit_label(c, n, lang) for c, n in table_units]
    y = [_e(item_label(code, name)) for code, name in items]
    measure = i18n.metric_unit("cases_found", lang)
    z = [[at.get((code, u), 0) for u, _ in table_units] for code, _ in items]
    fig = _figure(
        go.Heatmap(
            x=x,
            y=y,
            z=z,
            text=z,
            texttemplate="%{text}",
            colorscale=[[0, "#f7f7f7"], [0.001, "#fee6ce"], [1, "#a63603"]],
            colorbar={"title": {"text": _e(measure)}},
            xgap=1,
            ygap=1,
            hovertemplate=f"%{{y}}<br>%{{x}}: %{{z:,}} {_e(measure)}<extra></extra>",
        )
    )
    fig.update_yaxes(title_text=_e(i18n.text("item", lang)), autorange="reversed")
    fig.update_xaxes(title_text=_e(i18n.text("unit_of_measure", lang)), side="top")
    title = i18n.text("catalogue_title", lang) + f" ({measure})"
    _finish(fig, title, 160 + 22 * len(y), top=140)
    fig.update_layout(margin={"l": 260})
    columns = ["unit_code", "item_code", "category_code", "cases_found"]
    return Chart("catalogue", title, fig, columns, [[r[c] for c in columns] for r in data.items])
