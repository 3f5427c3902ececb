"""The input contract of ledgers.md: the three ledgers, their columns, headers and enums."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of a ledger: canonical Chinese header, English alias, type and whether required."""

    header: str
    name: str
    kind: str  # text, date, time, enum, integer, decimal, number
    required: bool = False
    personal: bool = False
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ledger:
    """A ledger kind: its name, Chinese title, id column and columns in contract order."""

    name: str
    title: str
    id_column: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


SOURCES = ("巡查发现", "群众举报", "部门转办", "上级交办", "其他")
ACTIONS = ("劝导教育", "现场纠正", "整改通知", "立案处罚", "移交", "调解")
OUTCOMES = ("已整改", "逾期未整改", "已处罚", "已移交", "调解成功", "调解不成", "办理中")

CASES = Ledger(
    name="cases",
    title="案件台账",
    id_column="case_id",
    columns=(
        Column("案件编号", "case_id", "text", required=True),
        Column("单位", "unit", "text", required=True),
        Column("网格", "grid", "text"),
        Column("发现日期", "found_date", "date", required=True),
        Column("来源", "source", "enum", enum=SOURCES),
        Column("事项编码", "item_code", "text", required=True),
        Column("案由", "summary", "text"),
        Column("当事人", "party_name", "text", personal=True),
        Column("身份证号", "party_id_no", "text", personal=True),
        Column("联系电话", "phone", "text", personal=True),
        Column("处理方式", "action", "enum", enum=ACTIONS),
        Column("移交部门", "referred_to", "text"),
        Column("整改期限", "deadline", "date"),
        Column("结案日期", "closed_date", "date"),
        Column("处理结果", "outcome", "enum", enum=OUTCOMES),
        Column("罚款金额(元)", "fine_yuan", "decimal"),
    ),
)

PATROLS = Ledger(
    name="patrols",
    title="巡查日志",
    id_column="patrol_id",
    columns=(
        Column("巡查编号", "patrol_id", "text", required=True),
        Column("单位", "unit", "text", required=True),
        Column("网格", "grid", "text"),
        Column("日期", "date", "date", required=True),
        Column("开始时间", "start_time", "time", required=True),
        Column("结束时间", "end_time", "time", required=True),
        Column("巡查人员", "officers", "text", required=True),
        Column("发现问题数", "issues_found", "integer"),
        Column("当场处理数", "resolved_on_spot", "integer"),
        Column("备注", "note", "text"),
    ),
)

OUTPUTS = Ledger(
    name="outputs",
    title="宣传及专项活动台账",
    id_column="activity_id",
    columns=(
        Column("活动编号", "activity_id", "text", required=True),
        Column("单位", "unit", "text", required=True),
        Column("日期", "date", "date", required=True),
        Column("活动名称", "campaign", "text"),
        Column("产出类型", "output_type", "text", required=True),
        Column("数量", "quantity", "number", required=True),
        Column("计量单位", "measure", "text"),
        Column("地点", "place", "text"),
        Column("备注", "note", "text"),
    ),
)

LEDGERS: dict[str, Ledger] = {lg.name: lg for lg in (CASES, PATROLS, OUTPUTS)}

TOTAL_MARKERS = ("合计", "小计", "总计")

_BRACKETED_SUFFIX = re.compile(r"[(\[（【].*?[)\]）】]$")


def normalise_header(text: object) -> str:
    """Fold a header cell to the form headers are matched in: NFKC, no spaces, no bracketed
    suffix, no asterisk marking a required column (*事项编码, 事项编码*)."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text))
    folded = re.sub(r"\s+", "", folded)
    folded = folded.strip("*")
    folded = _BRACKETED_SUFFIX.sub("", folded)
    return folded.strip("*").lower()


def header_index(ledger: Ledger) -> dict[str, Column]:
    """Map every accepted spelling of the ledger's headers to its column."""
    index: dict[str, Column] = {}
    for col in ledger.columns:
        index[normalise_header(col.header)] = col
        index[normalise_header(col.name)] = col
    return index


def matched_columns(ledger: Ledger, normalised: list[str]) -> set[str]:
    """The ledger's columns (by name) whose headers are among these normalised header cells."""
    index = header_index(ledger)
    return {index[h].name for h in normalised if h in index}


def match_headers(cells: list[object]) -> tuple[Ledger | None, int]:
    """Find which ledger a row of cells is the header of; returns the ledger and how many matched."""
    best: tuple[Ledger | None, int] = (None, 0)
    normalised = [normalise_header(c) for c in cells]
    for ledger in LEDGERS.values():
        matched = matched_columns(ledger, normalised)
        required = {c.name for c in ledger.required}
        # A header row must carry the ledger's id column and most of its required columns.
        carries_enough = len(matched & required) >= max(2, len(required) - 2)
        if ledger.id_column in matched and carries_enough and len(matched) > best[1]:
            best = (ledger, len(matched))
    return best


# Headers of columns outside the contract that hold personal data by their name: also those
# naming a person (当事人信息 over the party's name, 联系人, 负责人), whose names no mask finds.
_PERSONAL_HEADER = re.compile(
    r"姓名|名字|住址|地址|住所|电话|手机|身份证|证件|联系方式|户籍|当事人|联系人|负责人|户主|家属"
)


def is_personal_header(text: object) -> bool:
    """Whether an unknown column's header says it holds names, addresses, phones or IDs."""
    return bool(_PERSONAL_HEADER.search(normalise_header(text)))


def similar_header(ledger: Ledger, text: object) -> str | None:
    """The contract header an unknown column's header most resembles (结案时间: 结案日期), if any.

    A clerk who wrote 结案时间 for 结案日期 gets no closing dates loaded; naming the header the
    contract expects tells them what to rename.
    """
    import difflib

    headers = {normalise_header(c.header): c.header for c in ledger.columns}
    close = difflib.get_close_matches(normalise_header(text), list(headers), n=1, cutoff=0.5)
    return headers[close[0]] if close else None
