"""Labels in Chinese and English for metrics, their units of measure, pilot units and page text."""

from __future__ import annotations

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
