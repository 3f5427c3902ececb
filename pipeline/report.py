"""The report site: one page per subject, from the reporting models, offline from file://."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import plotly.io as pio
from plotly.offline import get_plotlyjs

from . import i18n
from . import report_charts as charts
from .report_charts import FONT_STACK, Chart
from .report_data import TOP_METRIC, ReportData, read_report_data
from .settings import Settings

PLOTLY_JS = "plotly.min.js"
TEMPLATES = Path(__file__).parent / "templates"

# Pages in navigation order: file name and the i18n key of its label.
PAGES = (
    ("index.html", "nav_overview"),
    ("cases.html", "nav_cases"),
    ("patrols.html", "nav_patrols"),
    ("outputs.html", "nav_outputs"),
    ("quality.html", "nav_quality"),
    ("catalogue.html", "nav_catalogue"),
)
# Rows of the totals table after population: every metric i18n labels, in its order.
TABLE_METRICS = tuple(m for m in i18n.METRICS if m != "population")


@dataclass
class Cell:
    text: str
    cls: str = ""
    head: bool = False


@dataclass
class Row:
    cells: list[Cell]
    muted: bool = False


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


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def csv_data_uri(columns, rows) -> str:
    """The rows as a CSV file inside a data: URI (UTF-8 with BOM, so Excel reads Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else _iso(v) for v in row])
    return "data:text/csv;charset=utf-8," + quote("\ufeff" + buffer.getvalue(), safe="")


def chart_block(chart: Chart, lang: str) -> dict:
    html = pio.to_html(
        chart.figure,
        include_plotlyjs=False,
        full_html=False,
        div_id=chart.key,
        default_height=f"{chart.figure.layout.height}px",
        config={"displaylogo": False, "responsive": True},
    )
    return {
        "kind": "chart",
        "key": chart.key,
        "html": html,
        "filename": f"{chart.key}.csv",
        "csv_uri": csv_data_uri(chart.columns, chart.rows),
        "download_label": f"{i18n.text('download_csv', lang)}: {chart.title}",
    }


def _unit_names(rows: list[dict]) -> dict[str, str]:
    return {r["unit_code"]: r.get("unit_name") or r["unit_code"] for r in rows}


def totals_table(totals: list[dict], approx: set[tuple[str, str]], lang: str) -> dict:
    """A row per metric, a column per unit, per-10k values in brackets, ≈ for approximations
    (`approximate` says whether any cell has one)."""
    header = [i18n.text("metric", lang), i18n.text("unit_of_measure", lang)] + [
        i18n.unit_name(r["unit_code"], r.get("unit_name") or "", lang) for r in totals
    ]
    rows = []
    approximate = False
    present = set(totals[0]) if totals else set()
    for metric in ("population", *TABLE_METRICS):
        if metric not in present:
            continue
        cells = [
            Cell(i18n.metric_label(metric, lang), head=True),
            Cell(i18n.metric_unit(metric, lang)),
        ]
        for r in totals:
            text = _number(r.get(metric), metric)
            per_10k = f"{metric}_per_10k"
            if r.get(per_10k) is not None:
                text += f" ({_number(r[per_10k], metric, per_10k=True)})"
            if (r["unit_code"], metric) in approx:
                text = "≈ " + text
                approximate = True
            cells.append(Cell(text, "num"))
        rows.append(Row(cells))
    return {"kind": "table", "header": header, "rows": rows, "approximate": approximate}


def changes_table(changes: list[dict], lang: str) -> dict:
    """A row per count, a column per unit: current ← previous, z, and a flag when |z| > 3."""
    codes: list[str] = []
    for r in changes:
        if r["unit_code"] not in codes:
            codes.append(r["unit_code"])
    names = _unit_names(changes)
    at = {(r["unit_code"], r["metric"]): r for r in changes}
    metrics = [m for m in TABLE_METRICS if any(r["metric"] == m for r in changes)]
    header = [i18n.text("metric", lang), i18n.text("unit_of_measure", lang)] + [
        i18n.unit_name(c, names[c], lang) for c in codes
    ]
    rows = []
    for metric in metrics:
        cells = [
            Cell(i18n.metric_label(metric, lang), head=True),
            Cell(i18n.metric_unit(metric, lang)),
        ]
        for code in codes:
            r = at.get((code, metric))
            if r is None:
                cells.append(Cell("—", "num"))
                continue
            z = r["z_score"]
            text = f"{_number(r['current_value'], metric)} ← {_number(r['previous_value'], metric)}"
            cls = "num"
            if z is not None:
                text += f", z {z:+.2f}"
            if r["is_notable"]:
                up = z > 0
                text += " " + i18n.text("notable_up" if up else "notable_down", lang)
                cls += " up" if up else " down"
            cells.append(Cell(text, cls))
        rows.append(Row(cells))
    return {"kind": "table", "header": header, "rows": rows}


def _section(heading: str, blocks: list[dict], caption: str = "") -> dict:
    return {"heading": heading, "caption": caption, "blocks": blocks}


def _charts(items: list[Chart | None], lang: str) -> list[dict]:
    """Each chart, or a note where it has no rows: weekly and monthly charts draw only the
    whole weeks and months inside the range, and a short range may hold none."""
    return [
        chart_block(c, lang)
        if c.rows
        else {"kind": "note", "text": i18n.text("chart_without_rows", lang).format(title=c.title)}
        for c in items
        if c is not None
    ]


def overview_page(data: ReportData, lang: str) -> list[dict]:
    t = lambda key: i18n.text(key, lang)
    prev = data.changes[0] if data.changes else {}
    changes_caption = t("changes_caption").format(
        start=_iso(data.change_from),
        end=_iso(data.change_to),
        prev_start=_iso(prev.get("previous_start", "—")),
        prev_end=_iso(prev.get("previous_end", "—")),
    )
    totals_caption = t("totals_caption").format(start=_iso(data.date_from), end=_iso(data.date_to))
    totals = totals_table(data.totals, data.approx_totals, lang)
    # A --from before the pilot: the pages start on its first day, and say why.
    before_pilot = (
        [
            {
                "kind": "note",
                "text": t("before_pilot_note").format(
                    asked=_iso(data.asked_from), start=_iso(data.date_from)
                ),
            }
        ]
        if data.asked_from
        else []
    )
    # The ≈ legend only where the table shows a ≈.
    approximate = [{"kind": "note", "text": t("approximate_note")}] if totals["approximate"] else []
    if data.changes and all(r["previous_value"] is None for r in data.changes):
        # Compared with the days before the pilot, every count would "rise" from nothing.
        changes = _section(
            t("changes_heading"),
            [],
            t("no_previous_caption").format(
                start=_iso(data.change_from),
                end=_iso(data.change_to),
                prev_start=_iso(prev["previous_start"]),
                prev_end=_iso(prev["previous_end"]),
            ),
        )
    else:
        changes = _section(
            t("changes_heading"), [changes_table(data.changes, lang)], changes_caption
        )
    return [
        changes,
        _section(
            t("monthly_heading"),
            _charts([charts.monthly_figure(data, lang)], lang),
            t("monthly_caption"),
        ),
        _section(t("totals_heading"), [*before_pilot, totals, *approximate], totals_caption),
    ]


def cases_page(data: ReportData, lang: str) -> list[dict]:
    t = lambda key: i18n.text(key, lang)
    referrals = charts.referrals_figure(data, lang)
    return [
        _section(
            t("actions_heading"),
            _charts(
                [
                    charts.actions_figure(data, lang),
                    charts.notices_figure(data, lang),
                    charts.closure_figure(data, lang),
                ],
                lang,
            ),
        ),
        _section(
            t("referrals_title"),
            _charts([referrals], lang)
            if referrals
            else [{"kind": "note", "text": t("referrals_none")}],
        ),
        _section(t("case_mix_title"), _charts([charts.case_mix_figure(data, lang)], lang)),
    ]


def patrols_page(data: ReportData, lang: str) -> list[dict]:
    t = lambda key: i18n.text(key, lang)
    heatmaps = charts.grid_heatmaps(data, lang)
    return [
        _section(
            t("patrols_heading"),
            _charts(
                [charts.patrols_figure(data, lang), charts.issues_rate_figure(data, lang)], lang
            ),
        ),
        _section(
            t("grid_heading"),
            _charts(heatmaps, lang) if heatmaps else [{"kind": "note", "text": t("no_grids")}],
            t("grid_caption"),
        ),
    ]


def outputs_page(data: ReportData, lang: str) -> list[dict]:
    t = lambda key: i18n.text(key, lang)
    outputs = charts.outputs_figure(data, lang)
    # The caption explains target lines and hollow markers only where the chart draws them.
    clauses = [t("outputs_caption")]
    if charts.draws_target_lines(outputs):
        clauses.append(t("outputs_caption_targets"))
    if charts.draws_hollow_markers(outputs):
        clauses.append(t("outputs_caption_hollow"))
    caption = t("clause_separator").join(clauses) + t("full_stop")
    return [_section(t("outputs_heading"), _charts([outputs], lang), caption)]


def _reasons(text: str | None, lang: str) -> str:
    """The reasons of a quarantined row as ingest stored them (a JSON list), in the language."""
    if not text:
        return ""
    try:
        reasons = json.loads(text)
    except ValueError:
        return text
    if not isinstance(reasons, list):
        return str(reasons)
    key = f"message_{lang}"
    return "；".join(
        str(r.get(key) or r.get("message_zh") or r) if isinstance(r, dict) else str(r)
        for r in reasons
    )


def _file_value(file: dict, column: str, lang: str) -> str:
    """A cell of the files table: ledger kinds and statuses in the language, the rest as stored."""
    if column == "ledger":
        return i18n.ledger_name(file["ledger"], lang)
    if column == "status":
        return i18n.file_status(file["status"], lang)
    return "" if file[column] is None else str(file[column])


def quality_page(data: ReportData, lang: str) -> list[dict]:
    t = lambda key: i18n.text(key, lang)
    file_columns = (
        "file_name",
        "ledger",
        "status",
        "rows_read",
        "rows_loaded",
        "rows_quarantined",
        "rows_skipped",
        "error",
    )
    header = [t("file" if c == "file_name" else c) for c in file_columns]
    rows = [
        Row(
            [
                Cell(_file_value(f, c, lang), "num" if c.startswith("rows_") else "")
                for c in file_columns
            ],
            muted=f["status"] != "loaded",
        )
        for f in data.files
    ]
    files_blocks = (
        _charts([charts.quality_figure(data, lang)], lang)
        + [{"kind": "table", "header": header, "rows": rows}]
        if data.files
        else [{"kind": "note", "text": t("no_files")}]
    )
    if data.quarantine:
        q_header = [t("file"), t("status"), t("sheet"), t("row"), t("ledger"), t("reasons")]
        q_rows = [
            Row(
                [
                    Cell(q["file_name"] or ""),
                    Cell(i18n.file_status(q["file_status"], lang)),
                    Cell(q["source_sheet"] or ""),
                    Cell(str(q["source_row"]), "num"),
                    Cell(i18n.ledger_name(q["ledger"], lang)),
                    Cell(_reasons(q["reasons"], lang)),
                ]
            )
            for q in data.quarantine
        ]
        q_blocks = [{"kind": "table", "header": q_header, "rows": q_rows}]
        q_caption = t("quarantine_caption").format(
            total=data.quarantine_total, shown=len(data.quarantine)
        )
    else:
        q_blocks, q_caption = [], t("quarantine_none")
    return [
        _section(
            t("quality_heading"),
            files_blocks,
            t("quality_caption").format(loaded=i18n.file_status("loaded", lang)),
        ),
        _section(t("quarantine_heading"), q_blocks, q_caption),
    ]


def catalogue_page(data: ReportData, lang: str) -> list[dict]:
    t = lambda key: i18n.text(key, lang)
    names = _unit_names(data.totals)
    table_units = [(r["unit_code"], names[r["unit_code"]]) for r in data.totals]
    at = {(r["item_code"], r["unit_code"]): r for r in data.items}
    items: list[dict] = []
    for r in data.items:
        if not items or items[-1]["item_code"] != r["item_code"]:
            items.append(r)
    header = [t("item"), t("category"), t("delegating_dept")] + [
        i18n.unit_name(c, n, lang) for c, n in table_units
    ]
    rows = []
    for item in items:
        counts = [at[(item["item_code"], c)]["cases_found"] for c, _ in table_units]
        rows.append(
            Row(
                [
                    Cell(charts.item_label(item["item_code"], item["item_name"]), head=True),
                    Cell(i18n.category_name(item["category_code"], item["category"], lang)),
                    Cell(
                        i18n.department_name(
                            item["delegating_dept_code"], item["delegating_dept"], lang
                        )
                    ),
                ]
                + [Cell(_number(n, "cases_found"), "num") for n in counts],
                muted=not any(counts),
            )
        )
    return [
        _section(
            t("catalogue_heading"),
            _charts([charts.catalogue_figure(data, lang, table_units)], lang)
            + [{"kind": "table", "header": header, "rows": rows}],
            t("catalogue_caption"),
        )
    ]


BUILDERS = {
    "index.html": overview_page,
    "cases.html": cases_page,
    "patrols.html": patrols_page,
    "outputs.html": outputs_page,
    "quality.html": quality_page,
    "catalogue.html": catalogue_page,
}


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_site(data: ReportData, lang: str) -> dict[str, str]:
    """Every page as HTML text, by file name; plotly.js is loaded from the file beside them."""
    env = _environment()
    template = env.get_template("page.html")
    # One unit (--unit): the heading and the scope name it, rather than a comparison of units.
    one_unit = i18n.unit_name(*data.units[0], lang) if len(data.units) == 1 else ""
    unit_scope = i18n.text("unit_caption", lang).format(unit=one_unit) if one_unit else ""
    scope = i18n.text("range_caption", lang).format(
        start=_iso(data.date_from), end=_iso(data.date_to)
    )
    if data.bounded:
        unit_scope = i18n.text("top_units_caption", lang).format(
            shown=len(data.compared),
            total=f"{data.unit_count:,}",
            metric=i18n.metric_label(TOP_METRIC, lang),
        )
    if unit_scope:
        scope += i18n.text("clause_separator", lang) + unit_scope
    if one_unit:
        title = i18n.text("title_one", lang).format(unit=one_unit)
    elif data.bounded:
        title = i18n.text("title_many", lang).format(total=f"{data.unit_count:,}")
    else:
        title = i18n.text("title", lang)
    site_title = i18n.text("site_title", lang)
    pages = {}
    for filename, nav_key in PAGES:
        # The overview's heading already names the pilot; other pages add it to their own.
        heading = title if filename == "index.html" else i18n.text(nav_key, lang)
        pages[filename] = template.render(
            html_lang="zh-CN" if lang == "zh" else "en",
            site_title=site_title,
            document_title=heading if filename == "index.html" else f"{heading} — {site_title}",
            page_title=heading,
            font_stack=FONT_STACK,
            plotly_js=PLOTLY_JS,
            nav=[
                {"href": f, "label": i18n.text(k, lang), "current": f == filename} for f, k in PAGES
            ],
            scope=scope,
            sections=BUILDERS[filename](data, lang),
            footer=i18n.text("site_footer", lang),
        )
    return pages


def write_report(
    settings: Settings,
    out_dir: Path | None = None,
    lang: str = "zh",
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    unit: str | None = None,
) -> Path:
    """Write the site and one plotly.min.js into out_dir (default: settings.reports_dir)."""
    i18n.check_lang(lang)
    target = Path(out_dir or settings.reports_dir).expanduser().resolve()
    data = read_report_data(settings, date_from=date_from, date_to=date_to, unit=unit)
    pages = render_site(data, lang)
    target.mkdir(parents=True, exist_ok=True)
    # Written every time so the bundle always matches the installed plotly; never a CDN.
    (target / PLOTLY_JS).write_text(get_plotlyjs(), encoding="utf-8")
    for filename, html in pages.items():
        (target / filename).write_text(html, encoding="utf-8")
    return target / "index.html"
