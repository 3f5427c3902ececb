"""Excel templates for the clerks: one workbook per ledger that ingests as filled in.

Each workbook has the ledger sheet (title row, the contract's canonical headers, formats, drop-downs
and input checks), a 填表说明 sheet explaining every column with an example, and a 参考列表 sheet
holding the reference lists the drop-downs draw from. The reference lists are read from the
reference tables and the enums of the contract, never restated here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .contract import ACTIONS, LEDGERS, OUTCOMES, SOURCES, Column, Ledger
from .errors import PilotError, refuse_to_overwrite
from .reference import read_table
from .settings import Settings

TEMPLATE_ROWS = 500
INSTRUCTIONS_SHEET = "填表说明"
REFERENCE_SHEET = "参考列表"
HEADER_ROW = 2
FIRST_DATA_ROW = HEADER_ROW + 1

REQUIRED_FILL = PatternFill("solid", fgColor="F8CBAD")
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
PROBLEM_FILL = PatternFill("solid", fgColor="FFC7CE")
_TITLE_FONT = Font(bold=True, size=14)
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")

DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm"
TEXT_FORMAT = "@"
_FORMATS = {
    "date": DATE_FORMAT,
    "time": TIME_FORMAT,
    "text": TEXT_FORMAT,
    "enum": TEXT_FORMAT,
    "integer": "0",
    "decimal": "0.00",
    "number": "General",
}
_KIND_LABELS = {
    "date": "日期",
    "time": "时间（时:分）",
    "text": "文本",
    "enum": "下拉选择",
    "integer": "整数",
    "decimal": "数字（可含两位小数）",
    "number": "数字",
}
# The latest day a date cell takes, as the ingest's window ends (validate._date_window): the
# day it is typed (ingest runs later, so its window is wider), and for a deadline, set ahead of
# its day, a year after it (EDATE, like the ingest's interval 1 year, keeps 29 Feb to 28 Feb).
_TODAY = "TODAY()"
_A_YEAR_AHEAD = "EDATE(TODAY(),12)"
_LATEST = {"deadline": (_A_YEAR_AHEAD, "一年后的今天")}


def example_date(pilot_start: dt.date) -> dt.date:
    """The date the templates show as an example: the pilot's fifteenth day (2011-08-15 for the
    default pilot), or today while that is still to come, so the date checks accept it."""
    return max(pilot_start, min(pilot_start + dt.timedelta(days=14), dt.date.today()))


# What each column means to a clerk (keyed by the contract's English alias).
COLUMN_NOTES: dict[str, str] = {
    "case_id": "本单位内唯一，按年度顺序编号（如 2011-001），同一案件只填一行，不得重复。",
    "patrol_id": "本单位内唯一，每班次巡查一个编号，不得重复。",
    "activity_id": "本单位内唯一，每项活动产出一个编号，不得重复。",
    "unit": "从下拉列表选择本单位（也可填单位代码或简称）。",
    "grid": "从下拉列表选择网格编码（须为本单位的网格）；不分网格的可不填。",
    "found_date": "发现或受理案件的日期。",
    "source": "从下拉列表选择；不填视为“其他”。",
    "item_code": "按《委托执法事项目录》填写编码（见参考列表）；矛盾纠纷填 JF 类编码。",
    "summary": "简要写明违法行为或纠纷情况；不要写身份证号和电话（入库时会被遮蔽）。",
    "party_name": "当事人姓名（个人信息：入库时只保留姓氏加“某”）。",
    "party_id_no": "18位（含校验位）或15位身份证号，按文本录入，不要以数字录入。",
    "phone": "手机或座机号码，按文本录入（个人信息：不入库）。",
    "action": "从下拉列表选择本案的主要处理方式。",
    "referred_to": "处理方式为“移交”时必填，从下拉列表选择接收部门。",
    "deadline": "下发整改通知书的，填写整改期限。",
    "closed_date": "结案的日期，不得早于发现日期；未结案的不填。",
    "outcome": "从下拉列表选择；尚未办结的选“办理中”。",
    "fine_yuan": "立案处罚的罚款金额，单位为元，不能为负数。",
    "date": "巡查或活动的日期。",
    "start_time": "24小时制，如 08:30。",
    "end_time": "24小时制，如 11:30；早于开始时间表示巡查跨过午夜。",
    "officers": "巡查人员，多人之间用顿号（、）分隔，至少一人。",
    "issues_found": "本次巡查发现的问题数，不能为负数。",
    "resolved_on_spot": "当场处理的问题数，不能为负数，且不得大于发现问题数。",
    "note": "其他需要说明的情况（不要写身份证号和电话）。",
    "campaign": "所属活动或专项行动的名称，如“整脏治乱”。",
    "output_type": "从下拉列表选择产出类型（见参考列表）。",
    "quantity": "产出数量，不能为负数；估计数可写“约1800”或“1800余”（Excel 会提示，确认即可）。",
    "measure": "可不填；填写时须与产出类型的计量单位一致（见参考列表）。",
    "place": "活动地点。",
}


@dataclass(frozen=True)
class ReferenceLists:
    """The values the drop-downs offer, from the reference tables and the contract's enums."""

    units: pd.DataFrame
    grids: pd.DataFrame
    items: pd.DataFrame
    departments: pd.DataFrame
    output_types: pd.DataFrame

    @classmethod
    def read(cls, reference_dir: Path, unit: str | None = None) -> ReferenceLists:
        units = read_table(reference_dir, "units")
        grids = read_table(reference_dir, "grids")
        if unit is not None:
            chosen = units[units.unit_code.str.upper() == unit.upper()]
            if chosen.empty:
                raise PilotError(
                    f"单位代码“{unit}”不在单位参考表中 / unknown unit code '{unit}'",
                    hint="use one of: " + ", ".join(units.unit_code),
                )
            units = chosen
            grids = grids[grids.unit_code.isin(chosen.unit_code)]
        grids = grids.merge(units[["unit_code", "unit_name"]], on="unit_code", how="inner")
        return cls(
            units=units.reset_index(drop=True),
            grids=grids.reset_index(drop=True),
            items=read_table(reference_dir, "catalogue"),
            departments=read_table(reference_dir, "departments"),
            output_types=read_table(reference_dir, "output_types"),
        )

    def tables(self) -> list[tuple[str, list[tuple[str, list[str]]]]]:
        """The reference sheet's tables: list name, then (header, values) per column."""
        measures = list(dict.fromkeys(self.output_types.measure))
        return [
            (
                "list_units",
                [
                    ("单位", list(self.units.unit_name)),
                    ("单位代码", list(self.units.unit_code)),
                    ("简称", list(self.units.short_name)),
                ],
            ),
            (
                "list_grids",
                [
                    ("网格编码", list(self.grids.grid_code)),
                    ("网格名称", list(self.grids.grid_name)),
                    ("所属单位", list(self.grids.unit_name)),
                ],
            ),
            (
                "list_items",
                [
                    ("事项编码", list(self.items.item_code)),
                    ("事项名称", list(self.items.item_name)),
                ],
            ),
            ("list_sources", [("来源", list(SOURCES))]),
            ("list_actions", [("处理方式", list(ACTIONS))]),
            ("list_outcomes", [("处理结果", list(OUTCOMES))]),
            (
                "list_departments",
                [
                    ("移交部门", list(self.departments.dept_name)),
                    ("也可写作", [a.replace("|", "、") for a in self.departments.aliases]),
                ],
            ),
            (
                "list_output_types",
                [
                    ("产出类型", list(self.output_types.output_name)),
                    ("计量单位", list(self.output_types.measure)),
                ],
            ),
            ("list_measures", [("计量单位", measures)]),
        ]


# The drop-down list each column draws from (a defined name on the reference sheet).
_COLUMN_LISTS = {
    "unit": "list_units",
    "grid": "list_grids",
    "item_code": "list_items",
    "source": "list_sources",
    "action": "list_actions",
    "outcome": "list_outcomes",
    "referred_to": "list_departments",
    "output_type": "list_output_types",
    "measure": "list_measures",
}


def template_name(ledger: Ledger, unit: str | None = None) -> str:
    """File name of a template: the unit code first, so each unit's ledger keeps its own name."""
    return f"{unit.upper()}_{ledger.title}.xlsx" if unit else f"{ledger.title}_模板.xlsx"


def write_templates(
    settings: Settings,
    out_dir: Path,
    unit: str | None = None,
    rows: int = TEMPLATE_ROWS,
    overwrite: bool = False,
) -> list[Path]:
    """Write one template workbook per ledger into out_dir and return their paths.

    A template has the name a clerk keeps the filled ledger under, so files already there are
    left alone (PilotError naming them) unless `overwrite`.
    """
    lists = ReferenceLists.read(settings.reference_dir, unit)
    out_dir = Path(out_dir)
    paths = [
        out_dir / template_name(ledger, unit and lists.units.unit_code[0])
        for ledger in LEDGERS.values()
    ]
    if not overwrite:
        refuse_to_overwrite(paths, "the templates")
    out_dir.mkdir(parents=True, exist_ok=True)
    pilot_start = settings.pilot_start
    for ledger, path in zip(LEDGERS.values(), paths):
        build_workbook(ledger, lists, pilot_start, unit=unit is not None, rows=rows).save(path)
    return paths


def build_workbook(
    ledger: Ledger,
    lists: ReferenceLists,
    pilot_start: dt.date,
    unit: bool = False,
    rows: int = TEMPLATE_ROWS,
) -> Workbook:
    """The template of one ledger; with `unit`, the unit and grid lists hold that one unit.

    Date cells take the days the ingest accepts: from `pilot_start` (Settings.pilot_start) on.

    The unit is offered, not written into the rows: a row holding only a unit is not blank, so
    every unused row of a pre-filled sheet would be rejected at ingest.
    """
    wb = Workbook()
    sheet = wb.active
    sheet.title = ledger.title
    _write_reference_sheet(wb, lists)
    example = example_date(pilot_start)
    _write_ledger_sheet(sheet, ledger, lists, unit, rows, pilot_start, example)
    _write_instructions(wb, ledger, lists, unit, example)
    wb.move_sheet(INSTRUCTIONS_SHEET, offset=-1)
    wb.active = 0
    return wb


def _letters(ledger: Ledger) -> dict[str, str]:
    return {col.name: get_column_letter(i) for i, col in enumerate(ledger.columns, start=1)}


def _write_reference_sheet(wb: Workbook, lists: ReferenceLists) -> None:
    sheet = wb.create_sheet(REFERENCE_SHEET)
    column = 1
    for list_name, table in lists.tables():
        for offset, (header, values) in enumerate(table):
            letter = get_column_letter(column + offset)
            sheet.cell(row=1, column=column + offset, value=header).font = _BOLD
            for r, value in enumerate(values, start=2):
                cell = sheet.cell(row=r, column=column + offset, value=value)
                cell.number_format = TEXT_FORMAT
            width = max(len(header), *(len(str(v)) for v in values)) if values else len(header)
            sheet.column_dimensions[letter].width = min(60, width * 2 + 2)
        first = get_column_letter(column)
        last_row = max(2, len(table[0][1]) + 1)
        ref = f"{quote_sheetname(REFERENCE_SHEET)}!${first}$2:${first}${last_row}"
        wb.defined_names[list_name] = DefinedName(list_name, attr_text=ref)
        if len(table) > 1:
            # The whole table too, for lookups (the output type's measure, the grid's unit).
            end = get_column_letter(column + len(table) - 1)
            table_ref = f"{quote_sheetname(REFERENCE_SHEET)}!${first}$2:${end}${last_row}"
            wb.defined_names[f"{list_name}_table"] = DefinedName(
                f"{list_name}_table", attr_text=table_ref
            )
        column += len(table) + 1
    sheet.freeze_panes = "A2"


def _write_ledger_sheet(
    sheet: Worksheet,
    ledger: Ledger,
    lists: ReferenceLists,
    unit: bool,
    rows: int,
    pilot_start: dt.date,
    example: dt.date,
) -> None:
    ncols = len(ledger.columns)
    last_row = FIRST_DATA_ROW + rows - 1
    title = ledger.title + (f"（{lists.units.unit_name[0]}）" if unit else "")
    title += "　　橙色表头为必填列，蓝色为选填列；把鼠标移到表头上可看填写说明"
    sheet.cell(row=1, column=1, value=title).font = _TITLE_FONT
    sheet.cell(row=1, column=1).alignment = Alignment(horizontal="left", vertical="center")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    sheet.row_dimensions[1].height = 24
    letters = _letters(ledger)
    examples = example_row(ledger, lists, example)
    for c, col in enumerate(ledger.columns, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=c, value=col.header)
        cell.font = _BOLD
        cell.fill = REQUIRED_FILL if col.required else OPTIONAL_FILL
        cell.alignment = Alignment(horizontal="center")
        note = ("【必填】" if col.required else "【选填】") + COLUMN_NOTES[col.name]
        cell.comment = Comment(note, "pilot", width=240, height=110)
        letter = letters[col.name]
        number_format = _FORMATS[col.kind]
        sheet.column_dimensions[letter].width = _width(col, examples[col.name], example)
        sheet.column_dimensions[letter].number_format = number_format
        for r in range(FIRST_DATA_ROW, last_row + 1):
            sheet.cell(row=r, column=c).number_format = number_format
    for validation in _validations(ledger, lists, last_row, pilot_start, example):
        sheet.add_data_validation(validation)
    _highlight_problems(sheet, ledger, last_row)
    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=2)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(ncols)}{HEADER_ROW}"


def _width(col: Column, example: object, day: dt.date) -> float:
    """A width that fits the header and the example (CJK characters count double)."""
    texts = [col.header, _display(example)]
    if col.kind == "date":
        texts.append(day.isoformat())
    longest = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in t) for t in texts)
    return min(40, max(10, longest + 3))


def _validations(
    ledger: Ledger, lists: ReferenceLists, last_row: int, pilot_start: dt.date, example: dt.date
) -> list[DataValidation]:
    letters = _letters(ledger)
    earliest = f"DATE({pilot_start.year},{pilot_start.month},{pilot_start.day})"
    first = FIRST_DATA_ROW
    found = []

    def add(name: str, validation: DataValidation, title: str, prompt: str, error: str) -> None:
        letter = letters[name]
        validation.add(f"{letter}{first}:{letter}{last_row}")
        validation.promptTitle = title[:32]
        validation.prompt = prompt[:255]
        validation.errorTitle = "输入有误"
        validation.error = error[:255]
        validation.showInputMessage = True
        validation.showErrorMessage = True
        found.append(validation)

    for col in ledger.columns:
        header = col.header
        letter = letters[col.name]
        if col.name in _COLUMN_LISTS:
            list_name = _COLUMN_LISTS[col.name]
            if col.name == "grid" and lists.grids.empty:
                continue  # no grids defined: any grid text is accepted
            add(
                col.name,
                DataValidation(type="list", formula1=list_name, allow_blank=True),
                header,
                COLUMN_NOTES[col.name],
                f"{header}请从下拉列表中选择（可选值见“{REFERENCE_SHEET}”表）。",
            )
        elif col.name == ledger.id_column:
            rng = f"${letter}${first}:${letter}${last_row}"
            add(
                col.name,
                DataValidation(
                    type="custom", formula1=f"COUNTIF({rng},{letter}{first})<=1", allow_blank=True
                ),
                header,
                COLUMN_NOTES[col.name],
                f"{header}在本表中重复，请改用新的编号。",
            )
        elif col.kind == "date":
            high, until = _LATEST.get(col.name, (_TODAY, "今天"))
            if col.name == "closed_date":
                # Not before the found date, itself not before the pilot's first day.
                low = f"MAX({earliest},${letters['found_date']}{first})"
                span = f"发现日期至{until}"
            else:
                low = earliest
                span = f" {pilot_start.isoformat()}（试点开始）至{until}"
            add(
                col.name,
                DataValidation(
                    type="date",
                    operator="between",
                    formula1=low,
                    formula2=high,
                    allow_blank=True,
                ),
                header,
                COLUMN_NOTES[col.name]
                + f"按 {example.isoformat()} 的格式输入，可填{span}之间的日期。",
                f"{header}应为{span}之间的日期，如 {example.isoformat()}。",
            )
        elif col.kind == "time":
            add(
                col.name,
                DataValidation(
                    type="time",
                    operator="between",
                    formula1="0",
                    formula2="TIME(23,59,59)",
                    allow_blank=True,
                ),
                header,
                COLUMN_NOTES[col.name],
                f"{header}应为时间，按 时:分 输入（如 08:30）。",
            )
        elif col.kind == "integer":
            if col.name == "resolved_on_spot":
                validation = DataValidation(
                    type="whole",
                    operator="between",
                    formula1="0",
                    formula2=f"${letters['issues_found']}{first}",
                    allow_blank=True,
                )
                error = f"{header}应为不小于0的整数，且不得大于发现问题数。"
            else:
                validation = DataValidation(
                    type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
                )
                error = f"{header}应为不小于0的整数。"
            add(col.name, validation, header, COLUMN_NOTES[col.name], error)
        elif col.kind in ("decimal", "number"):
            validation = DataValidation(
                type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True
            )
            error = f"{header}应为不小于0的数字。"
            if col.kind == "number":
                # 约1800 and 1800余 are accepted by the contract: warn, let the clerk confirm.
                validation.errorStyle = "warning"
                error += "估计数可写“约1800”或“1800余”，确认无误请点“是”。"
            add(col.name, validation, header, COLUMN_NOTES[col.name], error)
    return found


def _highlight_problems(sheet: Worksheet, ledger: Ledger, last_row: int) -> None:
    """Colour cells that break a rule spanning two columns, which a drop-down cannot check."""
    letters = _letters(ledger)
    first = FIRST_DATA_ROW

    def rule(name: str, formula: str) -> None:
        letter = letters[name]
        sheet.conditional_formatting.add(
            f"{letter}{first}:{letter}{last_row}",
            FormulaRule(formula=[formula], fill=PROBLEM_FILL, stopIfTrue=False),
        )

    if "referred_to" in letters:
        rule(
            "referred_to",
            f'AND(${letters["action"]}{first}="移交",${letters["referred_to"]}{first}="")',
        )
    if "grid" in letters:
        grid, unit = letters["grid"], letters["unit"]
        rule(
            "grid",
            f'AND(${grid}{first}<>"",${unit}{first}<>"",'
            f"IFERROR(VLOOKUP(${grid}{first},list_grids_table,3,FALSE),${unit}{first})"
            f"<>${unit}{first})",
        )
    if "measure" in letters:
        measure, otype = letters["measure"], letters["output_type"]
        rule(
            "measure",
            f'AND(${measure}{first}<>"",'
            f"IFERROR(VLOOKUP(${otype}{first},list_output_types_table,2,FALSE),${measure}{first})"
            f"<>${measure}{first})",
        )


def example_row(ledger: Ledger, lists: ReferenceLists, day: dt.date) -> dict[str, object]:
    """A valid row of the ledger on `day`, drawn from the reference lists, for the instructions
    sheet."""
    unit = lists.units.iloc[0]
    unit_grids = lists.grids[lists.grids.unit_code == unit.unit_code]
    grid = unit_grids.grid_code.iloc[0] if not unit_grids.empty else None
    output = lists.output_types.iloc[0]
    values: dict[str, object] = {
        "case_id": "2011-001",
        "patrol_id": "2011-P001",
        "activity_id": "2011-A001",
        "unit": unit.unit_name,
        "grid": grid,
        "found_date": day,
        "source": SOURCES[0],
        "item_code": lists.items.item_code.iloc[0],
        "summary": "沿街占道经营，经劝导后自行清理",
        "party_name": "（当事人姓名）",
        "party_id_no": "（18位身份证号，按文本录入）",
        "phone": "（联系电话，按文本录入）",
        "action": ACTIONS[0],
        "referred_to": None,
        "deadline": None,
        "closed_date": day,
        "outcome": OUTCOMES[0],
        "fine_yuan": None,
        "date": day,
        "start_time": dt.time(8, 30),
        "end_time": dt.time(11, 30),
        "officers": "（巡查人员甲）、（巡查人员乙）",
        "issues_found": 3,
        "resolved_on_spot": 2,
        "note": None,
        "campaign": "整脏治乱",
        "output_type": output.output_name,
        "quantity": 200,
        "measure": output.measure,
        "place": "社区广场",
    }
    return {col.name: values.get(col.name) for col in ledger.columns}


def _display(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)


def _write_instructions(
    wb: Workbook, ledger: Ledger, lists: ReferenceLists, unit: bool, example: dt.date
) -> None:
    """The 填表说明 sheet: general rules, then one row per column (laid out downwards, so the
    sheet carries no ledger header row and ingest reports it as not a ledger)."""
    sheet = wb.create_sheet(INSTRUCTIONS_SHEET)
    sheet.cell(row=1, column=1, value=f"{ledger.title}填表说明").font = _TITLE_FONT
    general = [
        (
            f"一、在“{ledger.title}”表第{FIRST_DATA_ROW}行起每行填写一条记录，"
            f"不要改动第{HEADER_ROW}行的表头，不要插入合并单元格。"
        ),
        (
            "二、橙色表头的列为必填，蓝色表头的列为选填；带下拉箭头的列请从列表中选择，"
            f"可选值见“{REFERENCE_SHEET}”表。"
        ),
        (
            f"三、日期按 {example.isoformat()} 的格式输入，时间按 08:30 的格式输入；"
            "编号、身份证号、电话已设为文本格式，请直接输入，不要改为数字格式。"
        ),
        (
            "四、每次报送整本台账，并保持文件名不变：同名文件再次入库时会替换上一版本的全部记录。"
            f"各单位的文件名须不同（以单位代码开头，如 XHY_{ledger.title}.xlsx）。"
        ),
        (
            "五、标红的单元格表示与同一行其他列不一致（如移交未填部门、网格不属于本单位、"
            "计量单位与产出类型不符），请改正后再报送。"
        ),
    ]
    if unit:
        general.append(
            f"六、本模板为{lists.units.unit_name[0]}专用：单位列的下拉列表只有本单位，网格列只有本单位的网格。"
        )
    for r, line in enumerate(general, start=2):
        sheet.cell(row=r, column=1, value=line).alignment = Alignment(wrap_text=False)
    top = len(general) + 3
    headers = ("列名", "英文名", "是否必填", "格式", "填写说明", "示例")
    for c, text in enumerate(headers, start=1):
        cell = sheet.cell(row=top, column=c, value=text)
        cell.font = _BOLD
        cell.fill = OPTIONAL_FILL
    examples = example_row(ledger, lists, example)
    for r, col in enumerate(ledger.columns, start=top + 1):
        values = (
            col.header,
            col.name,
            "必填" if col.required else "选填",
            _KIND_LABELS[col.kind],
            COLUMN_NOTES[col.name],
            examples[col.name],
        )
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            cell.alignment = _WRAP
            if isinstance(value, dt.time):
                cell.number_format = TIME_FORMAT
            elif isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
        if col.required:
            sheet.cell(row=r, column=1).fill = REQUIRED_FILL
    for letter, width in zip("ABCDEF", (14, 18, 10, 18, 60, 30), strict=True):
        sheet.column_dimensions[letter].width = width
