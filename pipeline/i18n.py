"""Labels in Chinese and English for metrics, their units of measure, pilot units and page text."""

from __future__ import annotations

from .contract import LEDGERS
from .errors import PilotError

LANGS = ("zh", "en")

# metric column -> (zh label, en label, zh unit, en unit); names follow ledgers.md section 7.
METRICS: dict[str, tuple[str, str, str, str]] = {
    "population": ("人口", "Population", "人", "residents"),
    "cases_found": ("发现案件", "Cases found", "件", "cases"),
    "cases_closed": ("办结案件", "Cases closed", "件", "cases"),
    "closure_rate": ("结案率", "Closure rate", "%", "%"),
    "median_days_to_close": ("办结天数中位数", "Median days to close", "天", "days"),
    "notices_issued": ("下发整改通知书", "Rectification notices issued", "份", "notices"),
    "notices_complied_on_time": (
        "按期整改",
        "Notices complied with on time",
        "份",
        "notices",
    ),
    "penalties": ("立案处罚", "Penalties", "件", "cases"),
    "fines_yuan": ("罚款金额", "Fines", "元", "yuan"),
    "referrals_made": ("移交案件", "Referrals to departments", "件", "cases"),
    "disputes_found": ("排查矛盾纠纷", "Disputes found", "起", "disputes"),
    "disputes_mediated": ("调解矛盾纠纷", "Disputes mediated", "起", "disputes"),
    "disputes_resolved": ("调解成功", "Disputes resolved", "起", "disputes"),
    "corrected_on_spot": ("劝导及现场纠正", "Corrected on the spot", "件", "cases"),
    "patrols": ("巡查次数", "Patrols", "次", "patrols"),
    "patrol_hours": ("巡查时长", "Patrol hours", "小时", "hours"),
    "officer_hours": ("巡查人时", "Officer hours on patrol", "人·小时", "officer-hours"),
    "issues_found": ("巡查发现问题", "Issues found on patrol", "个", "issues"),
    "grid_coverage": ("网格巡查覆盖率", "Grid coverage", "%", "%"),
    "leaflet": ("发放宣传资料", "Publicity materials handed out", "份", "copies"),
    "banner": ("悬挂横幅", "Banners", "条", "banners"),
    "blackboard": ("出黑板报", "Blackboard issues", "期", "issues"),
    "board_made": ("制作展板", "Display boards made", "块", "boards"),
    "board_show": ("展板展出", "Display board showings", "次", "showings"),
    "consult": ("现场咨询", "On-site consultations", "人次", "person-times"),
    "slogan": ("张贴标语", "Slogans", "条", "slogans"),
    "event": ("广场文化活动", "Square cultural events", "场", "events"),
    "signboard": ("拆换牌匾灯箱", "Signboards and light boxes removed or replaced", "块", "boards"),
    "paving": ("修补破损道砖", "Broken paving repaired", "处", "places"),
    "training": ("法律知识培训", "Legal training sessions", "期", "sessions"),
}

# Metrics shown as a share (0..1) rather than a count.
SHARES = frozenset({"closure_rate", "grid_coverage"})

UNIT_NAMES_EN = {
    "XHY": "Xihuayuan Road Sub-district",
    "XJ": "Xingjing Town",
    "ZBB": "Zhenbeibao Town",
    "ALL": "All pilot units",
}

TEXT: dict[str, tuple[str, str]] = {
    "title": (
        "西夏区社会管理综合执法试点 — 三个试点单位对比",
        "Xixia District comprehensive law-enforcement pilot — the three pilot units compared",
    ),
    "monthly_heading": ("逐月对比", "Month by month"),
    "monthly_absolute": ("各单位逐月数量", "Monthly counts per unit"),
    "monthly_per_10k": ("各单位逐月每万人数量", "Monthly counts per 10,000 residents per unit"),
    "view_absolute": ("绝对数", "Absolute"),
    "view_per_10k": ("每万人", "Per 10,000 residents"),
    "month": ("月份", "Month"),
    "per_10k_unit": ("{unit}/万人", "{unit} per 10,000 residents"),
    "headline_heading": ("试点全程汇总", "Whole pilot"),
    "headline_caption": (
        "{start} 至 {end}；括号内为每万人数。",
        "{start} to {end}; per 10,000 residents in brackets.",
    ),
    "metric": ("指标", "Metric"),
    "unit_of_measure": ("单位", "Unit"),
    "approximate_note": (
        "≈ 含台账中的约数（如“200余条”）。",
        "≈ includes approximate quantities recorded in the ledgers (e.g. “200+”).",
    ),
    "approximate_hover": ("含约数", "includes approximate quantities"),
    "source_note": (
        "数据来源：reporting.rpt_unit_metrics（由 dbt 模型计算）。",
        "Source: reporting.rpt_unit_metrics (computed by the dbt models).",
    ),
    # The report site: navigation, page titles and headings.
    "site_title": ("西夏区社会管理综合执法试点", "Xixia District law-enforcement pilot"),
    "nav_overview": ("总览", "Overview"),
    "nav_cases": ("案件与执法", "Cases and enforcement"),
    "nav_patrols": ("巡查与网格", "Patrols and grids"),
    "nav_outputs": ("宣传与专项活动", "Campaign outputs"),
    "nav_quality": ("数据质量", "Data quality"),
    "nav_catalogue": ("委托执法事项", "Delegated catalogue"),
    "range_caption": ("统计区间：{start} 至 {end}", "Range: {start} to {end}"),
    "unit_caption": ("单位：{unit}", "Unit: {unit}"),
    "title_one": (
        "西夏区社会管理综合执法试点 — {unit}",
        "Xixia District comprehensive law-enforcement pilot — {unit}",
    ),
    "title_many": (
        "西夏区社会管理综合执法试点 — {total} 个单位",
        "Xixia District comprehensive law-enforcement pilot — {total} units",
    ),
    "top_units_caption": (
        (
            "前 {shown} 个单位（共 {total} 个，按区间内“{metric}”排序）及全部试点单位合计；"
            "各单位的完整数据请用 `pilot export` 导出"
        ),
        (
            "Top {shown} of {total} units (by “{metric}” over the range) and the pilot as a "
            "whole; `pilot export` has every unit's data"
        ),
    ),
    "download_csv": ("下载数据（CSV）", "Download data (CSV)"),
    "site_footer": (
        "所有数字均取自 dbt 报表模型（reporting 架构），本页不计算任何指标。离线可用。",
        (
            "Every number comes from the dbt reporting models (reporting schema); this page "
            "computes none. Works offline."
        ),
    ),
    "changes_heading": ("与上一期对比", "Change against the previous period"),
    "changes_caption": (
        (
            "本期 {start} 至 {end}，上期 {prev_start} 至 {prev_end}。z = 2(√本期 − √上期)，"
            "|z| > 3 视为显著变化（▲ 上升，▼ 下降）；小数字的百分比变化容易误导。"
            "宣传资料、横幅、牌匾等产出数量成批发生（一次活动可发放上千份），不作泊松比较，"
            "只列两期数字。"
        ),
        (
            "This period {start} to {end}, previous {prev_start} to {prev_end}. "
            "z = 2(√current − √previous); |z| > 3 marks a notable change (▲ up, ▼ down); "
            "percent changes mislead on small counts. Output quantities (leaflets, banners, "
            "signboards, ...) come in batches, a thousand leaflets at one event: they get no "
            "z, only both figures."
        ),
    ),
    "no_previous_caption": (
        "本期 {start} 至 {end}；等长的上一时段 {prev_start} 至 {prev_end} 早于试点开始，没有台账数据，不作比较。",
        (
            "This period {start} to {end}; the previous period of equal length, {prev_start} to "
            "{prev_end}, lies before the pilot began: no ledgers, no comparison."
        ),
    ),
    "current": ("本期", "Current"),
    "previous": ("上期", "Previous"),
    "z_score": ("z 值", "z"),
    "notable_up": ("▲ 显著上升", "▲ notable rise"),
    "notable_down": ("▼ 显著下降", "▼ notable fall"),
    "totals_heading": ("区间汇总", "Totals for the range"),
    "before_pilot_note": (
        (
            "所选起始日期{asked}早于试点开始日期，台账自试点开始之日（{start}）起建立，"
            "故统计期间自该日起算。"
        ),
        (
            "The start asked for, {asked}, is before the pilot began; the ledgers begin on its "
            "first day ({start}), so the period is counted from there."
        ),
    ),
    "totals_caption": (
        "{start} 至 {end}；括号内为每万人数。",
        "{start} to {end}; per 10,000 residents in brackets.",
    ),
    "monthly_caption": (
        "每个小图一个指标，每条线一个单位；◆ 标出与上月相比 |z| > 3 的月份；竖线为大事记。",
        (
            "One panel per metric, one line per unit; ◆ marks months with |z| > 3 against the "
            "month before; vertical lines are dated events."
        ),
    ),
    "chart_without_rows": (
        "{title}：所选区间内没有可绘制的数据（逐周、逐月的图只画区间内完整的周和月），数字见区间汇总。",
        (
            "{title}: nothing to draw in the range (weekly and monthly charts draw only the "
            "whole weeks and months inside it); the totals for the range give its figures."
        ),
    ),
    "week": ("周（起始日）", "Week (starting)"),
    "date": ("日期", "Date"),
    "hover_z": ("与上月比 z = {z}", "z against previous month = {z}"),
    "actions_heading": ("处理方式", "Actions taken"),
    "actions_absolute": ("各单位逐月处理方式", "Actions per unit per month"),
    "actions_per_10k": (
        "各单位逐月处理方式（每万人）",
        "Actions per unit per month, per 10,000 residents",
    ),
    "notices_title": (
        "整改通知书：下发与按期整改（区间合计）",
        "Rectification notices: issued and complied with on time (range totals)",
    ),
    "closure_title": (
        "逐月结案率与办结天数中位数",
        "Closure rate and median days to close, by month",
    ),
    "referrals_title": (
        "移交案件：单位 → 接收部门（区间合计）",
        "Referrals: unit → receiving department (range totals)",
    ),
    "referrals_none": ("区间内没有移交案件。", "No referrals in the range."),
    "case_mix_title": (
        "各单位案件类别构成（区间合计）",
        "Case mix per unit by catalogue category (range totals)",
    ),
    "category": ("类别", "Category"),
    "department": ("部门", "Department"),
    "patrols_heading": ("巡查", "Patrols"),
    "patrols_title": (
        "各单位每周巡查次数、巡查时长与巡查人时",
        "Patrols, patrol hours and officer hours per unit per week",
    ),
    "issues_rate_title": (
        "每巡查小时发现问题数（每周）",
        "Issues found per patrol hour, by week",
    ),
    "issues_rate_unit": ("个/小时", "issues per hour"),
    "grid_heading": ("网格巡查覆盖", "Grid coverage"),
    "grid_title": ("{unit}：各网格每周巡查次数", "{unit}: patrols per grid per week"),
    "grid_caption": (
        "空白（0）表示该网格当周未被巡查。",
        "A blank (0) cell is a grid not patrolled that week.",
    ),
    "grid": ("网格", "Grid"),
    "no_grids": ("参考表中没有网格。", "No grids in the reference table."),
    "outputs_heading": ("累计产出与目标", "Cumulative outputs against targets"),
    "outputs_title": (
        "{output}：累计数量（{measure}）",
        "{output}: cumulative quantity ({measure})",
    ),
    # The caption names only what the chart draws: target lines
    # (report_charts.draws_target_lines) and hollow markers (report_charts.draws_hollow_markers).
    # Between the clauses of one sentence, and at its end.
    "clause_separator": ("；", "; "),
    "full_stop": ("。", "."),
    # The outputs caption's clauses (report.outputs_page joins those that apply).
    "outputs_caption": ("自试点开始累计", "Running totals since the pilot start"),
    "outputs_caption_targets": (
        "虚线为目标（data/reference/targets.csv）",
        "dashed lines are targets (data/reference/targets.csv)",
    ),
    "outputs_caption_hollow": (
        "空心点表示累计中含约数（余/约）",
        "hollow markers mean the total includes approximate quantities (余/约)",
    ),
    "target": ("目标", "target"),
    "cumulative": ("累计", "Cumulative"),
    "quality_heading": ("每个文件的行数核对", "Row accounting per file"),
    "quality_caption": (
        "读取行数 = 入库 + 隔离 + 跳过（空行与合计行）。只有状态为“{loaded}”的文件计入图表。",
        (
            "Rows read = loaded + quarantined + skipped (blank and total rows). Only files with "
            "status “{loaded}” count in the charts."
        ),
    ),
    "file_status": ("{file}（{status}）", "{file} ({status})"),
    "quality_title": (
        "各文件行数：入库、隔离、跳过",
        "Rows per file: loaded, quarantined, skipped",
    ),
    "rows": ("行", "rows"),
    "file": ("文件", "File"),
    "ledger": ("台账", "Ledger"),
    "status": ("状态", "Status"),
    "rows_read": ("读取", "Read"),
    "rows_loaded": ("入库", "Loaded"),
    "rows_quarantined": ("隔离", "Quarantined"),
    "rows_skipped": ("跳过", "Skipped"),
    "error": ("错误", "Error"),
    "quarantine_heading": ("被隔离的行及原因", "Quarantined rows and why"),
    "quarantine_caption": (
        "共 {total} 行被隔离，此处列出前 {shown} 行；完整清单见 `pilot quality`。",
        "{total} row(s) quarantined, the first {shown} listed; `pilot quality` lists all.",
    ),
    "quarantine_none": ("没有被隔离的行。", "No row was quarantined."),
    "sheet": ("工作表", "Sheet"),
    "row": ("行号", "Row"),
    "reasons": ("原因", "Reasons"),
    "no_files": ("尚未入库任何文件。", "No file has been ingested."),
    "catalogue_heading": ("委托执法事项的使用情况", "Use of the delegated items"),
    "catalogue_title": (
        "各单位按事项发现的案件数（区间合计）",
        "Cases found per item and unit (range totals)",
    ),
    "catalogue_caption": (
        "灰色行为区间内所有单位均未使用的事项。",
        "Grey rows are items no unit used in the range.",
    ),
    "item": ("事项", "Item"),
    "delegating_dept": ("委托部门", "Delegating department"),
    "unused": ("未使用", "unused"),
}

# Ledger kinds as ingest records them (contract.LEDGERS): the Chinese title clerks know, in English.
LEDGERS_EN = {
    "cases": "Cases ledger",
    "patrols": "Patrol log",
    "outputs": "Campaign outputs ledger",
}
# What ingest did with a file (raw.files.status); no user types these, so pages translate them.
FILE_STATUSES: dict[str, tuple[str, str]] = {
    "loaded": ("已入库", "Loaded"),
    "superseded": ("已被新版本替换", "Superseded by a newer version"),
    "duplicate": ("重复文件（未入库）", "Duplicate (not loaded)"),
    "unchanged": ("未变化（此前已入库）", "Unchanged (loaded before)"),
    "failed": ("入库失败", "Failed"),
    "withdrawn": ("已撤回（pilot withdraw）", "Withdrawn (pilot withdraw)"),
}

# Catalogue categories and departments, for the English site.
CATEGORIES_EN = {
    "SR": "City appearance and sanitation",
    "GT": "Planning, building and land",
    "WS": "Food and public hygiene",
    "JS": "Population and family planning",
    "MZ": "Civil affairs and burials",
    "ZA": "Public order",
    "JF": "Disputes",
}
DEPARTMENTS_EN = {
    "GA": "Public Security Sub-bureau",
    "CG": "Urban Management Bureau",
    "WS": "Health Bureau",
    "JS": "Population and Family Planning Bureau",
    "MZ": "Civil Affairs Bureau",
    "GH": "Planning Bureau",
    "JSJ": "Construction Bureau",
    "GT": "Land and Resources Sub-bureau",
    "GS": "Industry and Commerce Bureau",
    "QT": "Other departments",
}


def check_lang(lang: str) -> str:
    """Return lang if it is supported, else raise a clear error."""
    if lang not in LANGS:
        raise PilotError(
            f"无效语言 / invalid language: {lang} (use zh or en)",
            hint="pass --lang zh or --lang en",
        )
    return lang


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[LANGS.index(check_lang(lang))]


def text(key: str, lang: str = "zh") -> str:
    """A piece of page text in the language."""
    return _pick(TEXT[key], lang)


def metric_label(metric: str, lang: str = "zh") -> str:
    """The name of a metric column; a per-10k column is named after its count."""
    base = metric.removesuffix("_per_10k")
    if base not in METRICS:
        return metric
    label = METRICS[base][LANGS.index(check_lang(lang))]
    if metric.endswith("_per_10k"):
        label += "（每万人）" if lang == "zh" else " (per 10,000 residents)"
    return label


def metric_unit(metric: str, lang: str = "zh", per_10k: bool = False) -> str:
    """The unit of measure of a metric, e.g. 份 or notices, optionally per 10,000 residents."""
    base = metric.removesuffix("_per_10k")
    if base not in METRICS:
        return ""
    unit = METRICS[base][2 + LANGS.index(check_lang(lang))]
    if per_10k or metric.endswith("_per_10k"):
        unit = text("per_10k_unit", lang).format(unit=unit)
    return unit


def unit_name(unit_code: str, name_zh: str, lang: str = "zh") -> str:
    """A pilot unit's display name: the Chinese name from the data, or its romanised name."""
    if check_lang(lang) == "en":
        return UNIT_NAMES_EN.get(unit_code, unit_code)
    return name_zh


def _named(code: str | None, name_zh: str | None, names_en: dict[str, str], lang: str) -> str:
    # In English, a code without an English name shows its Chinese name: better than a bare code.
    if check_lang(lang) == "en" and code in names_en:
        return names_en[code]
    return name_zh or code or ""


def category_name(code: str | None, name_zh: str | None, lang: str = "zh") -> str:
    """A catalogue category's display name: Chinese from the data, or its English name."""
    return _named(code, name_zh, CATEGORIES_EN, lang)


def department_name(code: str | None, name_zh: str | None, lang: str = "zh") -> str:
    """A department's display name: Chinese from the data, or its English name."""
    return _named(code, name_zh, DEPARTMENTS_EN, lang)


def ledger_name(ledger: str | None, lang: str = "zh") -> str:
    """The ledger kinds of a file ("cases" or "cases,patrols") as their titles in the language."""
    names = []
    for kind in filter(None, (part.strip() for part in (ledger or "").split(","))):
        known = LEDGERS.get(kind)
        zh = known.title if known else kind
        names.append(zh if check_lang(lang) == "zh" else LEDGERS_EN.get(kind, kind))
    return ("、" if lang == "zh" else ", ").join(names)


def file_status(status: str | None, lang: str = "zh") -> str:
    """What ingest did with a file, in the language; a status this version does not know as is."""
    if status in FILE_STATUSES:
        return _pick(FILE_STATUSES[status], lang)
    return status or ""
