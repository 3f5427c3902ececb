"""Work-experience summaries (工作经验材料) written from the reporting models, every figure traced.

The text comes from Jinja2 templates (one set per language, or the user's own with
`template_dir`); the numbers come from the reporting models only. Each number the body prints is
a `Figure` that remembers its exact value, model, filter and column; the final 数据说明 section
lists exactly the figures the body used.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from . import i18n
from .errors import PilotError
from .export import (
    date_range,
    fetch,
    from_pilot_start,
    parse_date,
    pilot_bounds,
    refuse_other_format,
)
from .publish import open_reporting
from .settings import ALL_UNITS_CODE, Settings

TEMPLATES_DIR = Path(__file__).resolve().parent / "summary_templates"
DOCUMENT_TEMPLATE = "document.md.j2"
PAGE_TEMPLATE = "page.html.j2"
PHRASES_TEMPLATE = "phrases.j2"
# The files a --template folder may hold; those it lacks come from the built-in set.
TEMPLATE_FILES = (DOCUMENT_TEMPLATE, PHRASES_TEMPLATE, PAGE_TEMPLATE)
FORMATS = ("md", "docx", "html")

METRICS_REL = "reporting.rpt_unit_metrics"
METRICS_RANGE = "reporting.unit_metrics_between"
OUTPUTS_RANGE = "reporting.outputs_between"
REFERRALS_RANGE = "reporting.referrals_between"
RATES_RANGE = "reporting.summary_rates_between"
UNITS_REL = "reporting.rpt_summary_units"
CATALOGUE_REL = "reporting.rpt_summary_catalogue"
FACTS_REL = "reporting.rpt_summary_facts"
QUALITY_REL = "reporting.rpt_summary_quality_unit_files"
QUALITY_RANGE = "reporting.summary_quality_between"
CHANGES_RANGE = "reporting.changes_between"

# Counts of rpt_unit_metrics the summary states, compared with the previous period.
COUNTS = (
    "cases_found",
    "corrected_on_spot",
    "notices_issued",
    "notices_complied_on_time",
    "penalties",
    "referrals_made",
    "disputes_found",
    "disputes_mediated",
    "disputes_resolved",
    "patrols",
    "issues_found",
)
AMOUNTS = ("fines_yuan", "patrol_hours", "officer_hours")
RATES = ("notice_compliance_rate", "dispute_resolution_rate", "on_spot_share", "referral_share")
# Metrics of the unit comparison (whole pilot only), absolute and per 10,000 residents.
COMPARED = ("cases_found", "notices_issued", "disputes_found", "patrols", "leaflet")
# Below these shares the summary names a problem.
LOW_NOTICE_COMPLIANCE = 0.8
LOW_GRID_COVERAGE = 1.0
GRID_MONTHS_LISTED = 3
# A notable fall (or a drop to zero) of these is named as a problem. Counts of events only:
# output quantities come in batches and dbt never calls their changes notable.
WATCHED = ("cases_found", "notices_issued", "disputes_found", "patrols")
# Measure words of the summary where the report's labels use another.
MEASURES = {"referrals_made": "起"}

EN_MEASURES = {
    "份": "",
    "起": "",
    "件": "",
    "次": "",
    "个": "",
    "元": " yuan",
    "小时": " hours",
    "名": "",
    "支": "",
    "项": "",
    "类": "",
}


def genre_count(value: float) -> str:
    """A count as the genre writes it: exact below 100, else down to two significant digits + 余."""
    n = int(value)
    if n < 100:
        return str(n)
    step = 10 ** (len(str(n)) - 2)
    rounded = n // step * step
    return str(n) if rounded == n else f"{rounded}余"


def genre_count_en(value: float) -> str:
    """The English form of genre_count: '34', '1,800', 'over 1,800'."""
    n = int(value)
    if n < 100:
        return str(n)
    step = 10 ** (len(str(n)) - 2)
    rounded = n // step * step
    return f"{n:,}" if rounded == n else f"over {rounded:,}"


def change_direction(change: dict[str, Any] | None) -> str:
    """How a count moved, from its row of reporting.changes_between (None: no previous period):
    up/down (notable), flat (not notable), same, new (from zero, not notable), zero (fell to
    zero) or absent (zero in both). Whether a change is notable is dbt's is_notable."""
    if change is None:
        return "none"
    current, previous = change["current_value"], change["previous_value"]
    if current == 0 and previous == 0:
        return "absent"
    if current == 0:
        return "zero"
    if change["is_notable"]:
        return "up" if change["z_score"] > 0 else "down"
    if previous == 0:
        return "new"
    return "same" if current == previous else "flat"


@dataclass(frozen=True)
class Figure:
    """One number of the document and where it came from."""

    key: str
    value: Any
    model: str
    filter: str
    column: str
    kind: str = "count"  # count, amount, rate, per10k, fact
    measure: str = ""
    approximate: bool = False

    def text(self, lang: str = "zh") -> str:
        """The number as the body prints it."""
        if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return "—"
        if self.kind == "rate":
            return f"{float(self.value) * 100:.1f}%"
        if self.kind == "per10k":
            return f"{float(self.value):.1f}" + (self.measure if lang == "zh" else "")
        if lang == "en":
            number = genre_count_en(self.value)
            if self.approximate and not number.startswith("over"):
                number = f"about {number}"
            return number + EN_MEASURES.get(self.measure, "")
        number = genre_count(self.value)
        if self.approximate and not number.endswith("余"):
            number = f"约{number}"
        return number + self.measure

    def exact(self) -> str:
        """The exact value as stored, for the data note."""
        v = self.value
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "null"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)


class Figures:
    """All figures available to the templates; remembers, in order, those the body printed."""

    def __init__(self, lang: str):
        self.lang = lang
        self._all: dict[str, Figure] = {}
        self._used: dict[str, Figure] = {}

    def add(self, figure: Figure) -> None:
        self._all[figure.key] = figure

    def has(self, key: str) -> bool:
        return key in self._all

    def value(self, key: str) -> Any:
        """The exact value, for conditions in templates (prints nothing, registers nothing)."""
        figure = self._all.get(key)
        if figure is None or figure.value is None:
            return 0
        return figure.value

    def n(self, key: str) -> str:
        """The figure as printed in the body; it is listed in the data note."""
        figure = self._all[key]
        self._used.setdefault(key, figure)
        return figure.text(self.lang)

    def used(self) -> list[Figure]:
        return list(self._used.values())


@dataclass(frozen=True)
class Change:
    """A count of this period beside the same count of the previous period of equal length."""

    metric: str
    direction: str
    current_key: str
    previous_key: str | None
    notable: bool = False  # dbt's is_notable: |z| > 3


@dataclass(frozen=True)
class Part:
    """One unit's (or one metric's) share of a problem: the figure keys the template prints."""

    unit_code: str
    keys: tuple[str, ...]
    metric: str = ""
    dates: tuple[date, ...] = ()


@dataclass(frozen=True)
class Problem:
    """A problem the data shows; the template words it from its kind and parts."""

    kind: str  # notice_compliance, grid_coverage, falling, quarantine
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Chart:
    key: str
    caption: str
    png: bytes
    cjk: bool


@dataclass
class Summary:
    """A summary ready to write: the Markdown text, its blocks, its charts and figures."""

    markdown: str
    blocks: list[tuple]
    charts: dict[str, Chart]
    figures: list[Figure]
    lang: str
    title: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def _records(names: list[str], rows: list[tuple]) -> list[dict[str, Any]]:
    return [dict(zip(names, row)) for row in rows]


def _period_filter(d_from: date, d_to: date, **more: str) -> str:
    parts = [f"d_from={d_from.isoformat()}", f"d_to={d_to.isoformat()}"]
    parts += [f"{k}='{v}'" for k, v in more.items()]
    return ", ".join(parts)


@dataclass
class _Data:
    """Everything read from the reporting models for one summary."""

    unit_code: str
    d_from: date
    d_to: date
    asked_from: date | None  # --from as given, when it lay before the pilot start
    prev: tuple[date, date] | None
    units: list[dict]
    current: dict[str, dict]
    previous: dict[str, dict]
    outputs: dict[str, list[dict]]
    prev_outputs: dict[str, list[dict]]
    changes: dict[str, dict]
    referrals: list[dict]
    rates: dict[str, dict]
    catalogue: dict
    facts: list[dict]
    months: list[dict]
    low_grid_months: list[dict]
    quality_files: list[dict]
    quality: dict


def _read(settings: Settings, unit_code: str, d_from: date | None, d_to: date | None) -> _Data:
    con = open_reporting(settings)
    try:
        start, end = pilot_bounds(con)
        d_from, d_to = date_range(d_from, d_to, start, end)
        # The ledgers begin at the pilot start: a range asked to begin earlier is titled and
        # counted from it, and the data note says so.
        d_from, asked_from = from_pilot_start(d_from, start)
        units = _records(
            *fetch(
                con, f"select * from {UNITS_REL} order by is_pilot_total, unit_code", [], UNITS_REL
            )
        )
        codes = [u["unit_code"] for u in units]
        if unit_code not in codes:
            raise PilotError(
                f"未知单位 / unknown unit: {unit_code}",
                hint=f"use one of {', '.join(codes)}",
            )
        days = (d_to - d_from).days + 1
        prev_from, prev_to = d_from - timedelta(days=days), d_from - timedelta(days=1)
        # Before the pilot there are no ledgers: a comparison would claim a rise from nothing.
        prev = (prev_from, prev_to) if prev_from >= start else None

        def metrics(a: date, b: date) -> dict[str, dict]:
            rows = _records(
                *fetch(con, f"select * from {METRICS_RANGE}(?, ?)", [a, b], METRICS_RANGE)
            )
            return {r["unit_code"]: r for r in rows}

        def outputs(a: date, b: date) -> dict[str, list[dict]]:
            rows = _records(
                *fetch(
                    con,
                    f"select * from {OUTPUTS_RANGE}(?, ?) order by unit_code, output_code",
                    [a, b],
                    OUTPUTS_RANGE,
                )
            )
            by_unit: dict[str, list[dict]] = {}
            for r in rows:
                by_unit.setdefault(r["unit_code"], []).append(r)
            return by_unit

        current = metrics(d_from, d_to)
        previous = metrics(*prev) if prev else {}
        out_now = outputs(d_from, d_to)
        out_prev = outputs(*prev) if prev else {}
        # Each count of the scope against the previous period, with dbt's z-score and verdict.
        changes = (
            {
                r["metric"]: r
                for r in _records(
                    *fetch(
                        con,
                        "select metric, current_value, previous_value, z_score, is_notable "
                        f"from {CHANGES_RANGE}(?, ?) where unit_code = ?",
                        [d_from, d_to, unit_code],
                        CHANGES_RANGE,
                    )
                )
            }
            if prev
            else {}
        )
        referrals = _records(
            *fetch(
                con,
                f"select * from {REFERRALS_RANGE}(?, ?) where unit_code = ? and referrals > 0 "
                "order by referrals desc, dept_code",
                [d_from, d_to, unit_code],
                REFERRALS_RANGE,
            )
        )
        rates = {
            r["unit_code"]: r
            for r in _records(
                *fetch(con, f"select * from {RATES_RANGE}(?, ?)", [d_from, d_to], RATES_RANGE)
            )
        }
        catalogue = _records(*fetch(con, f"select * from {CATALOGUE_REL}", [], CATALOGUE_REL))
        facts = _records(
            *fetch(con, f"select * from {FACTS_REL} order by fact_code", [], FACTS_REL)
        )
        months = _records(
            *fetch(
                con,
                f"select unit_code, period_start, cases_found, notices_issued, patrols "
                f"from {METRICS_REL} where period = ? and period_start >= ? and period_end <= ? "
                "order by unit_code, period_start",
                ["month", d_from, d_to],
                METRICS_REL,
            )
        )
        low_grid_months: list[dict] = []
        for code in codes:
            if code == ALL_UNITS_CODE or (unit_code != ALL_UNITS_CODE and code != unit_code):
                continue
            low_grid_months += _records(
                *fetch(
                    con,
                    f"select unit_code, period_start, grid_coverage from {METRICS_REL} "
                    "where period = ? and unit_code = ? and period_start >= ? and period_end <= ? "
                    "and grid_coverage < ? order by grid_coverage, period_start limit ?",
                    ["month", code, d_from, d_to, LOW_GRID_COVERAGE, GRID_MONTHS_LISTED],
                    METRICS_REL,
                )
            )
        # The scope's files whose loaded rows of the scope reach into the period, and files
        # with no loaded row at all; the same rule as summary_quality_between's counts.
        overlap = "(first_date is null or (first_date <= ? and last_date >= ?))"
        quality_files = _records(
            *fetch(
                con,
                f"select * from {QUALITY_REL} where unit_code = ? and {overlap} "
                "order by ledger, file_name",
                [unit_code, d_to, d_from],
                QUALITY_REL,
            )
        )
        quality = _records(
            *fetch(
                con,
                f"select * from {QUALITY_RANGE}(?, ?) where unit_code = ?",
                [d_from, d_to, unit_code],
                QUALITY_RANGE,
            )
        )
    finally:
        con.close()
    return _Data(
        unit_code=unit_code,
        d_from=d_from,
        d_to=d_to,
        asked_from=asked_from,
        prev=prev,
        units=units,
        current=current,
        previous=previous,
        outputs=out_now,
        prev_outputs=out_prev,
        changes=changes,
        referrals=referrals,
        rates=rates,
        catalogue=catalogue[0] if catalogue else {},
        facts=facts,
        months=months,
        low_grid_months=low_grid_months,
        quality_files=quality_files,
        quality=quality[0],
    )


def _figures(data: _Data, lang: str) -> tuple[Figures, dict[str, Change], list[Problem]]:
    """Every figure the templates may print, the changes against the previous period, problems."""
    figs = Figures(lang)
    scope = data.unit_code
    rng = (data.d_from, data.d_to)
    for code, row in data.current.items():
        for metric in (*COUNTS, *AMOUNTS):
            figs.add(
                Figure(
                    f"{code}.{metric}",
                    row[metric],
                    METRICS_RANGE,
                    _period_filter(*rng, unit_code=code),
                    metric,
                    "amount" if metric in AMOUNTS else "count",
                    MEASURES.get(metric, i18n.metric_unit(metric, "zh")),
                )
            )
        for metric in COMPARED:
            figs.add(
                Figure(
                    f"{code}.{metric}_per_10k",
                    row.get(f"{metric}_per_10k"),
                    METRICS_RANGE,
                    _period_filter(*rng, unit_code=code),
                    f"{metric}_per_10k",
                    "per10k",
                    MEASURES.get(metric, i18n.metric_unit(metric, "zh")),
                )
            )
        figs.add(
            Figure(
                f"{code}.grid_coverage",
                row["grid_coverage"],
                METRICS_RANGE,
                _period_filter(*rng, unit_code=code),
                "grid_coverage",
                "rate",
            )
        )
    if data.prev:
        for code, row in data.previous.items():
            for metric in COUNTS:
                figs.add(
                    Figure(
                        f"prev.{code}.{metric}",
                        row[metric],
                        METRICS_RANGE,
                        _period_filter(*data.prev, unit_code=code),
                        metric,
                        "count",
                        MEASURES.get(metric, i18n.metric_unit(metric, "zh")),
                    )
                )
    for prefix, by_unit, period in (
        ("", data.outputs, rng),
        ("prev.", data.prev_outputs, data.prev),
    ):
        for code, rows in by_unit.items():
            for r in rows:
                figs.add(
                    Figure(
                        f"{prefix}{code}.{r['output_code'].lower()}",
                        r["quantity"],
                        OUTPUTS_RANGE,
                        _period_filter(*period, unit_code=code, output_code=r["output_code"]),
                        "quantity",
                        "count",
                        r["measure"] or "",
                        bool(r["is_approximate"]),
                    )
                )
    for code, row in data.rates.items():
        for rate in RATES:
            figs.add(
                Figure(
                    f"{code}.{rate}",
                    row[rate],
                    RATES_RANGE,
                    _period_filter(*rng, unit_code=code),
                    rate,
                    "rate",
                )
            )
    for r in data.referrals:
        figs.add(
            Figure(
                f"{scope}.referrals.{r['dept_code']}",
                r["referrals"],
                REFERRALS_RANGE,
                _period_filter(*rng, unit_code=scope, dept_code=r["dept_code"]),
                "referrals",
                "count",
                "起",
            )
        )
    for u in data.units:
        figs.add(
            Figure(
                f"{u['unit_code']}.grid_count",
                u["grid_count"] or 0,
                UNITS_REL,
                f"unit_code='{u['unit_code']}'",
                "grid_count",
                "count",
                "个",
            )
        )
    cat = data.catalogue
    for column, measure in (
        ("categories", "类"),
        ("items", "项"),
        ("delegating_departments", "个"),
    ):
        if column in cat:
            figs.add(
                Figure(
                    f"catalogue.{column}", cat[column], CATALOGUE_REL, "—", column, "count", measure
                )
            )
    for f in data.facts:
        figs.add(
            Figure(
                f"fact.{f['fact_code']}",
                f["value"],
                FACTS_REL,
                f"fact_code='{f['fact_code']}'",
                "value",
                "fact",
                f["measure_zh"] or "",
            )
        )
    for m in data.low_grid_months:
        figs.add(
            Figure(
                f"{m['unit_code']}.grid_month.{m['period_start']:%Y-%m}",
                m["grid_coverage"],
                METRICS_REL,
                f"period='month', unit_code='{m['unit_code']}', period_start={m['period_start']:%Y-%m-%d}",
                "grid_coverage",
                "rate",
            )
        )
    for column, measure in (("files", "个"), ("rows_quarantined", "行")):
        figs.add(
            Figure(
                f"quality.{column}",
                data.quality[column],
                QUALITY_RANGE,
                _period_filter(*rng, unit_code=scope),
                column,
                "count",
                measure,
            )
        )

    changes: dict[str, Change] = {}
    if scope in data.current:
        # Metrics as rpt_changes_unit_period names them: the counts, and output codes lower-cased.
        metrics = [*COUNTS, *(r["output_code"].lower() for r in data.outputs.get(scope, []))]
        for metric in metrics:
            change = data.changes.get(metric)
            previous_key = f"prev.{scope}.{metric}"
            changes[metric] = Change(
                metric,
                change_direction(change),
                f"{scope}.{metric}",
                previous_key if change and figs.has(previous_key) else None,
                bool(change and change["is_notable"]),
            )

    units = (
        [scope]
        if scope != ALL_UNITS_CODE
        else [u["unit_code"] for u in data.units if not u["is_pilot_total"]]
    )
    problems: list[Problem] = []
    low_compliance = tuple(
        Part(
            code,
            (
                f"{code}.notices_issued",
                f"{code}.notices_complied_on_time",
                f"{code}.notice_compliance_rate",
            ),
        )
        for code in units
        if (data.rates.get(code, {}).get("notice_compliance_rate") or 1.0) < LOW_NOTICE_COMPLIANCE
    )
    if low_compliance:
        problems.append(Problem("notice_compliance", low_compliance))
    low_grids: dict[str, list[dict]] = {}
    for m in data.low_grid_months:
        low_grids.setdefault(m["unit_code"], []).append(m)
    if low_grids:
        problems.append(
            Problem(
                "grid_coverage",
                tuple(
                    Part(
                        code,
                        tuple(f"{code}.grid_month.{m['period_start']:%Y-%m}" for m in months),
                        dates=tuple(m["period_start"] for m in months),
                    )
                    for code, months in low_grids.items()
                ),
            )
        )
    # Only a notable fall is a problem: 1 -> 0 (z = -2) is no evidence that work fell.
    falling = tuple(
        Part(scope, (change.current_key, change.previous_key or ""), metric=metric)
        for metric, change in changes.items()
        if metric in WATCHED
        and change.previous_key
        and (change.direction == "down" or (change.direction == "zero" and change.notable))
    )
    if falling:
        problems.append(Problem("falling", falling))
    if data.quality["rows_quarantined"] > 0:
        problems.append(Problem("quarantine", (Part(scope, ("quality.rows_quarantined",)),)))
    return figs, changes, problems


DEPARTMENTS_EN = {
    "GA": "the public security sub-bureau",
    "CG": "the urban management bureau",
    "WS": "the health bureau",
    "JS": "the population and family planning bureau",
    "MZ": "the civil affairs bureau",
    "GH": "the planning bureau",
    "JSJ": "the construction bureau",
    "GT": "the land and resources sub-bureau",
    "GS": "the administration for industry and commerce",
    "QT": "other departments",
}
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)
CHART_CAPTIONS = {
    "monthly": ("各单位逐月发现处理问题数", "Cases found per month"),
    "per10k": ("各单位主要工作量（每万人）", "Main workload per 10,000 residents"),
    "referrals": ("移交各部门案件数", "Cases referred, by department"),
}
NUMERALS_ZH = "一二三四五六七八九十"


def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in names:
            return name
    for path in font_manager.findSystemFonts():
        lowered = Path(path).name.lower()
        if "wqy" in lowered or "notosanscjk" in lowered.replace("-", ""):
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    return None


def _unit_label(code: str, name_zh: str, cjk: bool) -> str:
    return i18n.unit_name(code, name_zh, "zh" if cjk else "en")


def _png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    return buf.getvalue()


def draw_charts(data: _Data, lang: str) -> dict[str, Chart]:
    """Two or three static PNG charts, drawn without a browser; ASCII labels without a CJK font."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    font = cjk_font() if lang == "zh" else None
    cjk = font is not None
    label_lang = "zh" if cjk else "en"
    style = {
        "font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
        "axes.unicode_minus": False,
    }
    names = {u["unit_code"]: u["unit_name"] for u in data.units}
    pilot_units = [u["unit_code"] for u in data.units if not u["is_pilot_total"]]
    shown = pilot_units if data.unit_code == ALL_UNITS_CODE else [data.unit_code]
    charts: dict[str, Chart] = {}

    def caption(key: str) -> str:
        zh, en = CHART_CAPTIONS[key]
        if lang == "zh":
            return f"图{NUMERALS_ZH[len(charts)]} {zh}"
        return f"Chart: {en}"

    with plt.rc_context(style):
        fig, ax = plt.subplots(figsize=(8, 3.6))
        for code in shown:
            rows = [m for m in data.months if m["unit_code"] == code]
            ax.plot(
                [m["period_start"] for m in rows],
                [m["cases_found"] for m in rows],
                marker="o",
                label=_unit_label(code, names[code], cjk),
            )
        ax.set_ylabel(i18n.metric_label("cases_found", label_lang))
        ax.legend(frameon=False)
        ax.grid(alpha=0.3)
        fig.autofmt_xdate()
        charts["monthly"] = Chart("monthly", caption("monthly"), _png(fig), cjk)
        plt.close(fig)

        if data.referrals:
            fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(data.referrals)))
            labels = [r["department"] if cjk else r["dept_code"] for r in reversed(data.referrals)]
            ax.barh(labels, [r["referrals"] for r in reversed(data.referrals)], color="#1f77b4")
            ax.set_xlabel(i18n.metric_label("referrals_made", label_lang))
            ax.xaxis.get_major_locator().set_params(integer=True)
            charts["referrals"] = Chart("referrals", caption("referrals"), _png(fig), cjk)
            plt.close(fig)

        if data.unit_code == ALL_UNITS_CODE:
            fig, axes = plt.subplots(1, len(COMPARED), figsize=(10, 3.2))
            for ax, metric in zip(axes, COMPARED):
                values = [data.current[c].get(f"{metric}_per_10k") or 0 for c in pilot_units]
                ax.bar(
                    range(len(pilot_units)),
                    values,
                    color=["#1f77b4", "#d62728", "#2ca02c"][: len(values)],
                )
                ax.set_xticks(range(len(pilot_units)), pilot_units)
                ax.set_title(i18n.metric_label(metric, label_lang), fontsize=9)
                ax.tick_params(labelsize=8)
            fig.tight_layout()
            charts["per10k"] = Chart("per10k", caption("per10k"), _png(fig), cjk)
            plt.close(fig)
    return charts


def _has_templates(folder: Path) -> bool:
    return any((folder / name).is_file() for name in TEMPLATE_FILES)


def template_folder(template_dir: Path, lang: str) -> Path:
    """The folder of the user's templates: DIR itself, or DIR/<lang> when DIR has one per language.

    A folder with none of the template files is an error: the built-in text would otherwise be
    used without a word, and the user would think their own was.
    """
    template_dir = template_dir.expanduser()
    if not template_dir.is_dir():
        raise PilotError(
            f"模板文件夹不存在 / template folder not found: {template_dir}",
            hint=f"copy {TEMPLATES_DIR / lang} and edit it, then pass --template DIR",
        )
    if _has_templates(template_dir):
        return template_dir
    per_lang = template_dir / lang
    if _has_templates(per_lang):
        return per_lang
    others = [
        template_dir / other
        for other in i18n.LANGS
        if other != lang and _has_templates(template_dir / other)
    ]
    if others:
        hint = (
            f"{others[0]} holds templates for --lang {others[0].name}; for --lang {lang} "
            f"copy {TEMPLATES_DIR / lang} to {per_lang}"
        )
    else:
        hint = f"copy the files of {TEMPLATES_DIR / lang} into {template_dir} and edit them"
    raise PilotError(
        f"模板文件夹中没有模板文件 / no summary template in {template_dir}: expected "
        f"{', '.join(TEMPLATE_FILES)} there or in {per_lang}",
        hint=hint,
    )


def _environment(lang: str, template_dir: Path | None):
    from jinja2 import (
        ChoiceLoader,
        Environment,
        FileSystemLoader,
        StrictUndefined,
        select_autoescape,
    )

    loaders = []
    if template_dir is not None:
        loaders.append(FileSystemLoader(str(template_folder(Path(template_dir), lang))))
    loaders.append(FileSystemLoader(str(TEMPLATES_DIR / lang)))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    if lang == "zh":
        env.filters["day"] = lambda d: f"{d.year}年{d.month}月{d.day}日"
        env.filters["month"] = lambda d: f"{d.year}年{d.month}月"
    else:
        env.filters["day"] = lambda d: f"{d:%-d %B %Y}"
        env.filters["month"] = lambda d: f"{d:%B %Y}"
    env.filters["join_zh"] = lambda items: "、".join(items)
    return env


def _join_en(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


_IMAGE = re.compile(r"!\[(?P<caption>[^\]]*)\]\(chart:(?P<key>[a-z0-9_]+)\)")


def parse_blocks(markdown: str) -> list[tuple]:
    """The document as blocks: title, h1, h2, para, bullet, image, table."""
    blocks: list[tuple] = []
    para: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if para:
            blocks.append(("para", "".join(para) if not _latin(para) else " ".join(para)))
            para.clear()
        if table:
            rows = [r for r in table if not all(set(c) <= set("-: ") for c in r)]
            blocks.append(("table", rows[0], rows[1:]))
            table.clear()

    for raw in markdown.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("|"):
            if para:
                flush()
            table.append([c.strip() for c in line.strip("|").split("|")])
            continue
        if table:
            flush()
        image = _IMAGE.fullmatch(line)
        if line.startswith("# "):
            flush()
            blocks.append(("title", line[2:].strip()))
        elif line.startswith("## "):
            flush()
            blocks.append(("h1", line[3:].strip()))
        elif line.startswith("### "):
            flush()
            blocks.append(("h2", line[4:].strip()))
        elif image:
            flush()
            blocks.append(("image", image["caption"], image["key"]))
        elif line.startswith("- "):
            flush()
            blocks.append(("bullet", line[2:].strip()))
        else:
            para.append(line)
    flush()
    return blocks


def _latin(lines: list[str]) -> bool:
    return all(ord(ch) < 0x2E80 for ch in "".join(lines))


def build_summary(
    settings: Settings,
    unit: str | None = None,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    lang: str = "zh",
    template_dir: str | Path | None = None,
    charts: bool = True,
) -> Summary:
    """Read the reporting models and render the summary's text, blocks and charts."""
    i18n.check_lang(lang)
    unit_code = (unit or ALL_UNITS_CODE).strip().upper()
    # The templates first: a wrong --template folder is named before the warehouse is read.
    env = _environment(lang, Path(template_dir) if template_dir else None)
    data = _read(settings, unit_code, parse_date(date_from), parse_date(date_to))
    figs, changes, problems = _figures(data, lang)
    drawn = draw_charts(data, lang) if charts else {}
    names = {
        u["unit_code"]: i18n.unit_name(u["unit_code"], u["unit_name"], lang) for u in data.units
    }
    pilot_units = [u["unit_code"] for u in data.units if not u["is_pilot_total"]]
    referrals = [
        {
            "key": f"{unit_code}.referrals.{r['dept_code']}",
            "dept_code": r["dept_code"],
            "name": r["department"]
            if lang == "zh"
            else DEPARTMENTS_EN.get(r["dept_code"], r["department"]),
        }
        for r in data.referrals
    ]
    outputs = [
        {"key": f"{unit_code}.{r['output_code'].lower()}", "code": r["output_code"].lower()}
        for r in data.outputs.get(unit_code, [])
    ]
    context = {
        "F": figs,
        "changes": changes,
        "problems": problems,
        "scope": unit_code,
        "is_pilot": unit_code == ALL_UNITS_CODE,
        "pilot_units": pilot_units,
        "names": names,
        "scope_name": _join(
            [names[c] for c in pilot_units] if unit_code == ALL_UNITS_CODE else [names[unit_code]],
            lang,
        ),
        "d_from": data.d_from,
        "d_to": data.d_to,
        "asked_from": data.asked_from,
        "prev": data.prev,
        "referrals": referrals,
        "outputs": outputs,
        "charts": drawn,
        "catalogue": data.catalogue,
        "facts": {f["fact_code"]: f for f in data.facts},
        "quality_files": data.quality_files,
        "join": lambda items: _join(list(items), lang),
        "label": lambda metric: i18n.metric_label(metric, lang),
        "low_notice_compliance": LOW_NOTICE_COMPLIANCE,
    }
    markdown = _render(env, DOCUMENT_TEMPLATE, context)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"
    blocks = parse_blocks(markdown)
    title = next((b[1] for b in blocks if b[0] == "title"), "")
    meta = {"env": env, "unit": unit_code, "d_from": data.d_from, "d_to": data.d_to}
    return Summary(markdown, blocks, drawn, figs.used(), lang, title, meta)


def _join(items: list[str], lang: str) -> str:
    return "、".join(items) if lang == "zh" else _join_en(items)


def to_markdown(summary: Summary, images_dir: str | None) -> str:
    """The Markdown text with chart references pointing at PNG files in images_dir."""

    def image(m: re.Match) -> str:
        if images_dir is None or m["key"] not in summary.charts:
            return ""
        return f"![{m['caption']}]({images_dir}/{m['key']}.png)"

    return _IMAGE.sub(image, summary.markdown)


def to_html(summary: Summary) -> str:
    """A self-contained HTML page: every text autoescaped, charts as data URIs."""
    env = summary.meta["env"]
    images = {
        key: "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")
        for key, chart in summary.charts.items()
    }
    return _render(
        env,
        PAGE_TEMPLATE,
        {"blocks": summary.blocks, "images": images, "title": summary.title, "lang": summary.lang},
    )


def _render(env, name: str, context: dict) -> str:
    """A template rendered; a mistake in one (a user's own, with --template) names it."""
    from jinja2 import TemplateError, TemplateSyntaxError

    try:
        return env.get_template(name).render(context)
    except TemplateError as exc:
        if isinstance(exc, TemplateSyntaxError):
            where = f"{exc.filename or exc.name or name}, line {exc.lineno}"
        else:  # raised by render: the template itself loaded
            where = env.get_template(name).filename or name
        raise PilotError(
            f"模板有误 / error in template {where}: {exc.message or type(exc).__name__}",
            hint="fix the template in the --template folder, or remove it there to use the "
            "built-in one",
        ) from exc


def _east_asian(style, font: str) -> None:
    from docx.oxml.ns import qn

    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), font)


def write_docx(summary: Summary, path: Path) -> None:
    """Word with the official layout: centred title, Heading 1/2, first-line indented body."""
    import io

    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    styles = doc.styles
    for name, font, size in (
        ("Normal", "仿宋", 14),
        ("Title", "宋体", 20),
        ("Heading 1", "黑体", 16),
        ("Heading 2", "楷体", 14),
    ):
        style = styles[name]
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        if summary.lang == "zh":
            _east_asian(style, font)
    for block in summary.blocks:
        kind = block[0]
        if kind == "title":
            p = doc.add_paragraph(block[1], style="Title")
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "h1":
            doc.add_heading(block[1], level=1)
        elif kind == "h2":
            doc.add_heading(block[1], level=2)
        elif kind == "para":
            p = doc.add_paragraph(block[1])
            p.paragraph_format.first_line_indent = Pt(28)
            p.paragraph_format.line_spacing = 1.5
        elif kind == "bullet":
            doc.add_paragraph(block[1], style="List Bullet")
        elif kind == "image":
            chart = summary.charts.get(block[2])
            if chart is None:
                continue
            doc.add_picture(io.BytesIO(chart.png), width=Cm(15))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            caption = doc.add_paragraph(block[1])
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "table":
            header, rows = block[1], block[2]
            table = doc.add_table(rows=1 + len(rows), cols=len(header))
            table.style = "Table Grid"
            for r, cells in enumerate([header, *rows]):
                for c, text in enumerate(cells[: len(header)]):
                    cell = table.cell(r, c)
                    cell.text = text
                    for run in cell.paragraphs[0].runs:
                        run.font.size = Pt(9)
                        run.bold = r == 0
    doc.save(str(path))


def default_out(settings: Settings, summary_unit: str, d_from: date, d_to: date, fmt: str) -> Path:
    return settings.reports_dir / f"summary_{summary_unit}_{d_from:%Y%m%d}_{d_to:%Y%m%d}.{fmt}"


def write_summary(
    settings: Settings,
    unit: str | None = None,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    fmt: str = "docx",
    lang: str = "zh",
    out: str | Path | None = None,
    template_dir: str | Path | None = None,
) -> Path:
    """Write the summary as Markdown (charts beside it), self-contained HTML or Word."""
    if fmt not in FORMATS:
        raise PilotError(f"无效格式 / invalid format: {fmt} (use one of {', '.join(FORMATS)})")
    chosen = Path(out).expanduser() if out else None
    if chosen is not None and not chosen.is_dir():
        refuse_other_format(chosen, fmt, (*FORMATS, "htm", "doc", "pdf"))
    summary = build_summary(settings, unit, date_from, date_to, lang, template_dir)
    meta = summary.meta
    default = default_out(settings, meta["unit"], meta["d_from"], meta["d_to"], fmt)
    if chosen is None:
        path = default.resolve()
    elif chosen.is_dir():
        # A folder, like the default reports/: the file gets its usual name inside it.
        path = (chosen / default.name).resolve()
    else:
        path = chosen.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "md":
        images = path.parent / f"{path.stem}_files"
        if summary.charts:
            images.mkdir(exist_ok=True)
            for key, chart in summary.charts.items():
                (images / f"{key}.png").write_bytes(chart.png)
        path.write_text(
            to_markdown(summary, images.name if summary.charts else None), encoding="utf-8"
        )
    elif fmt == "html":
        path.write_text(to_html(summary), encoding="utf-8")
    else:
        write_docx(summary, path)
    return path
