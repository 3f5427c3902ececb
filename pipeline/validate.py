"""Vectorised validation of ledger rows in DuckDB: normalise values, collect every failed rule.

The SQL here is fixed text: identifiers come from the contract, values only from tables.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb

from .contract import ACTIONS, LEDGERS, OUTCOMES, SOURCES

_FULL = "".join(chr(0xFF01 + i) for i in range(94) if chr(0x21 + i) != "'") + "\u3000"
_HALF = "".join(chr(0x21 + i) for i in range(94) if chr(0x21 + i) != "'") + " "

# Every character str.isspace() holds, as SQL (chr() calls: some are control characters).
_WHITESPACE = " || ".join(f"chr({i})" for i in range(0x3001) if chr(i).isspace())
_YMD = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
_DIGIT = "[0-9０-９]"
_ID18 = f"(?:{_DIGIT}[ \u3000]?){{17}}[0-9０-９xXｘＸ]"
_ID15 = f"(?:{_DIGIT}[ \u3000]?){{14}}{_DIGIT}"
_MOBILE = f"1[3-9３-９](?:[ \u3000-]?{_DIGIT}){{9}}"
_LANDLINE = f"[0０]{_DIGIT}{{2,3}}[-－]?{_DIGIT}{{7,8}}"
# Door numbers: an address keeps its street or community, never the house.
_STREET_NUMBER = f"(路|街|巷|道|胡同|村|组|队)[ \u3000]*{_DIGIT}+[-－]?{_DIGIT}*号"
_SEVEN_DIGITS = f"{_DIGIT}(?:[ \u3000\\-－]?{_DIGIT}){{6}}"
_DOOR = f"{_DIGIT}+[-－]?{_DIGIT}*(?:号楼|号院|栋|幢|单元|室|户)"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# The digits are taken from the first 17 characters read as one number (n // 10^k % 10): 17
# integer divisions cost half of 17 one-character substrings cast one by one.
_ID_WEIGHTED_SUM = " + ".join(
    f"{w} * (n // {10 ** (16 - i)} % 10)" for i, w in enumerate(_ID_WEIGHTS)
)

MACROS = [
    # Full-width letters, digits and spaces to half-width. Cells arrive stripped (cell_text, cell)
    # and never '', so only a value holding a full-width character needs translate() (costly)
    # and the trim that follows it.
    # Pure ASCII text (as many bytes as characters) holds no full-width character.
    f"""create or replace temp macro fold(s) as case when strlen(s) = length(s) then s
        when regexp_matches(s, '[\uff01-\uff5e\u3000]')
        then nullif(trim(translate(s, '{_FULL}', '{_HALF}')), '') else s end""",
    # A CSV cell as readers.cell_text makes it: stripped of what str.strip() strips, '' -> null.
    # trim() with a character set is slow; most cells need none, so only those that do get it.
    # s[1] and s[-1] are a tenth cheaper than left(s, 1) and right(s, 1).
    f"""create or replace temp macro cell(s) as nullif(case
        when contains({_WHITESPACE}, s[1]) or contains({_WHITESPACE}, s[-1])
            then trim(s, {_WHITESPACE}) else s end, '')""",
    # Each branch builds ISO text and try_casts it: an impossible date (2011-02-30) is null. No
    # try(): one error in a vector of 2,048 values makes DuckDB redo the vector row by row.
    # Most dates are already ISO (2011-08-15): text that a date prints back as exactly is what the
    # first regex branch would rebuild unchanged, so it skips the regexes (most of the cost).
    f"""create or replace temp macro parse_date(s) as case
        when s like '____-__-__' and cast(try_cast(s as date) as varchar) = s
            then try_cast(s as date)
        when regexp_full_match(s, '{_YMD}')
            then try_cast(regexp_replace(s, '^{_YMD}$', '\\1-\\2-\\3') as date)
        when regexp_full_match(s, '\\d{{8}}')
            then try_cast(substr(s, 1, 4) || '-' || substr(s, 5, 2) || '-' || substr(s, 7, 2) as date)
        when regexp_full_match(s, '\\d{{5}}(\\.\\d+)?')
            then cast(date '1899-12-30' + to_days(cast(floor(cast(s as double)) as integer)) as date)
        end""",
    # Why a value is not a date; `parsed` is parse_date(s), computed once by the caller.
    f"""create or replace temp macro date_problem(s, parsed) as case
        when s is null or parsed is not null then null
        when regexp_full_match(s, '\\d{{2}}\\s*[-/.年]\\s*\\d{{1,2}}\\s*[-/.月]\\s*\\d{{1,2}}\\s*日?')
            then 'date_two_digit_year'
        when regexp_full_match(s, '{_YMD}') or regexp_full_match(s, '\\d{{8}}')
            then 'date_impossible'
        else 'date_format' end""",
    """create or replace temp macro hhmm(m) as
        lpad(cast(m // 60 as varchar), 2, '0') || ':' || lpad(cast(m % 60 as varchar), 2, '0')""",
    """create or replace temp macro parse_time(s) as case
        when regexp_full_match(s, '\\d{1,2}:\\d{2}(:\\d{2})?')
            and cast(split_part(s, ':', 1) as integer) < 24
            and cast(split_part(s, ':', 2) as integer) < 60
            then hhmm(cast(split_part(s, ':', 1) as integer) * 60
                      + cast(split_part(s, ':', 2) as integer))
        when regexp_full_match(s, '0?\\.\\d+') and round(cast(s as double) * 1440) < 1440
            then hhmm(cast(round(cast(s as double) * 1440) as integer))
        end""",
    """create or replace temp macro plain_number(s) as
        replace(replace(s, ',', ''), ' ', '')""",
    """create or replace temp macro number_problem(s, ok) as case
        when s is null or ok then null
        when regexp_full_match(plain_number(s), '-\\d+(\\.\\d+)?') then 'negative'
        else 'not_number' end""",
    # try_cast('2.5' as bigint) rounds to 3: a count is only taken when written as whole digits.
    """create or replace temp macro parse_int(s) as case
        when regexp_full_match(plain_number(s), '-?\\d+') then try_cast(plain_number(s) as bigint)
        end""",
    # number_problem never says 'not_integer', so whole-number columns ask this one instead.
    """create or replace temp macro int_problem(s) as
        case when number_problem(s, false) = 'negative' then 'negative' else 'not_integer' end""",
    # The check character of an ID number's first 17 digits (GB 11643). The weighted sum is
    # written out: a lambda over the 17 digits cost a third more at 500,000 numbers.
    f"""create or replace temp macro id_check_of(n) as substr('10X98765432', cast(({_ID_WEIGHTED_SUM})
        % 11 as integer) + 1, 1)""",
    # The check character `body` calls for, or null when its first 17 characters are not digits.
    """create or replace temp macro id_check(body) as id_check_of(try_cast(left(body, 17) as bigint))""",
    # `expected` is id_check(s), computed by the caller in a projection of its own. Inside a
    # CASE, DuckDB does not share an expression between its uses: id_check's number, written
    # 17 times in the weighted sum, was cast 17 times (0.9 s of CPU at 500,000 numbers, 0.2 s
    # computed once). The common case, a valid 18-digit number, is tested first.
    """create or replace temp macro id_problem(s, expected) as case
        when s is null then null
        when regexp_full_match(s, '\\d{17}[\\dXx]') and expected = upper(substr(s, 18, 1))
            then null
        when regexp_full_match(s, '\\d{15}') then null
        else 'invalid_id_no' end""",
    # An ID number in its 18-digit form (an old 15-digit number gains 19 and its check
    # character, so a person's two numbers hash the same), then its keyed hash, HMAC-SHA256
    # from the padded keys in the temp table id_key, which the ingest fills from the secret.
    """create or replace temp macro id18(s) as case when length(s) = 15
        then left(s, 6) || '19' || substr(s, 7) || id_check(left(s, 6) || '19' || substr(s, 7))
        else upper(s) end""",
    """create or replace temp macro id_hash(s) as sha256((select outer_key from id_key)
        || unhex(sha256((select inner_key from id_key) || encode(id18(s)))))""",
    """create or replace temp macro mask_name(s) as
        case when s is null then null else left(s, 1) || '某' end""",
    """create or replace temp macro mask_value(s) as case
        when s is null then null
        when length(s) <= 4 then repeat('*', length(s))
        else left(s, 3) || repeat('*', length(s) - 5) || right(s, 2) end""",
    # Both door patterns end in one of these words: text without them skips the replacements.
    f"""create or replace temp macro mask_address(s) as case
        when regexp_matches(s, '号|栋|幢|单元|室|户') then
            regexp_replace(regexp_replace(s, '{_STREET_NUMBER}', '\\1[门牌]', 'g'), '{_DOOR}', '[门牌]', 'g')
        else s end""",
    # Every ID and phone pattern holds seven digits apart by at most one separator: text without
    # such a run (most of it) skips the four replacements.
    f"""create or replace temp macro mask_numbers(s) as case
        when regexp_matches(s, '{_SEVEN_DIGITS}') then
            regexp_replace(regexp_replace(regexp_replace(regexp_replace(s,
                '{_ID18}', '[身份证号]', 'g'), '{_ID15}', '[身份证号]', 'g'),
                '{_MOBILE}', '[电话]', 'g'), '{_LANDLINE}', '[电话]', 'g')
        else s end""",
    """create or replace temp macro mask_text(s, name) as mask_address(mask_numbers(
        case when name is null or length(name) < 2 then s
             else replace(s, name, mask_name(name)) end))""",
    # mask_text for a cell of any column (a quarantined row's, a value a reason quotes): most
    # cells hold nothing it would mask, and mask_text, its argument written out at each use,
    # runs some thirty regexes a cell; this test first runs two.
    f"""create or replace temp macro mask_cell(s, name) as case
        when s is null then null
        when regexp_matches(s, '{_SEVEN_DIGITS}') or regexp_matches(s, '号|栋|幢|单元|室|户')
            or (name is not null and length(name) >= 2 and contains(s, name))
            then mask_text(s, name)
        else s end""",
    # A message template filled for one reason of one row.
    """create or replace temp macro fill_message(t, header, val, detail, row) as
        replace(replace(replace(replace(t, '{header}', header), '{value}', coalesce(val, '')),
            '{detail}', coalesce(detail, '')), '{row}', cast(row as varchar))""",
    # A reason: the rule broken, the field, the value as the clerk wrote it, and a detail.
    """create or replace temp macro reason(rule, field, val, detail) as
        {'rule': rule, 'field': field, 'value': val, 'detail': detail}""",
    """create or replace temp macro req(field, val) as
        case when val is null then reason('required', field, null, null) end""",
]

RULES: dict[str, tuple[str, str]] = {
    "required": ("{header}为必填项", "{header} is required"),
    "unknown_unit": (
        "单位“{value}”无法识别，应填单位代码、全称或简称",
        "unknown unit '{value}': use the unit code, full name or short name",
    ),
    "unknown_grid": ("网格“{value}”不是本单位的网格", "grid '{value}' is not a grid of this unit"),
    "date_two_digit_year": (
        "{header}“{value}”只有两位年份，不予推测，请写四位年份",
        "{header} '{value}' has a two-digit year, which is not guessed: write four digits",
    ),
    "date_impossible": (
        "{header}“{value}”不是真实存在的日期",
        "{header} '{value}' is not a real calendar date",
    ),
    "date_format": (
        (
            "{header}“{value}”不是可识别的日期，可写作 2011-08-15、2011/8/15、2011.8.15、"
            "2011年8月15日 或 20110815"
        ),
        (
            "{header} '{value}' is not a date; write 2011-08-15, 2011/8/15, 2011.8.15, "
            "2011年8月15日 or 20110815"
        ),
    ),
    "date_before_pilot": (
        "{header}“{value}”早于试点开始日期（{detail}），台账中不会有这样的日期，请核对年份",
        (
            "{header} '{value}' is before the pilot began ({detail}), so no ledger holds it: "
            "check the year"
        ),
    ),
    "date_in_future": (
        "{header}“{value}”晚于{detail}，是尚未到来的日期，请核对年份",
        "{header} '{value}' is later than {detail}, a day still to come: check the year",
    ),
    "time_format": (
        "{header}“{value}”不是有效时间，应写作 时:分（如 08:30）",
        "{header} '{value}' is not a time; write HH:MM (e.g. 08:30)",
    ),
    "enum": (
        "{header}“{value}”不是可选值（{detail}）",
        "{header} '{value}' is not one of the accepted values ({detail})",
    ),
    "unknown_item": (
        "事项编码“{value}”不在委托执法事项目录中",
        "item code '{value}' is not in the catalogue of delegated items",
    ),
    "referral_needs_department": (
        "处理方式为“移交”时须填写移交部门",
        "移交部门 (referred_to) is required when 处理方式 (action) is 移交",
    ),
    "unknown_department": (
        "移交部门“{value}”无法识别，应填部门名称或简称",
        "unknown department '{value}': use a department name or alias",
    ),
    "closed_before_found": (
        "结案日期“{value}”早于发现日期（{detail}）",
        "结案日期 (closed_date) '{value}' is before 发现日期 (found_date) {detail}",
    ),
    "not_number": ("{header}“{value}”不是数字", "{header} '{value}' is not a number"),
    "not_integer": ("{header}“{value}”不是整数", "{header} '{value}' is not a whole number"),
    "negative": ("{header}“{value}”不能为负数", "{header} '{value}' must not be negative"),
    "resolved_exceeds_found": (
        "当场处理数“{value}”大于发现问题数（{detail}）",
        "当场处理数 (resolved_on_spot) '{value}' exceeds 发现问题数 (issues_found) {detail}",
    ),
    "unknown_output_type": (
        "产出类型“{value}”无法识别，应填产出类型名称或别名",
        "unknown output type '{value}': use an output type name or alias",
    ),
    "quantity_measure_mismatch": (
        "{header}“{value}”所写的计量单位与该产出类型的计量单位“{detail}”不符",
        "{header} '{value}' is written in another measure than the output type's '{detail}'",
    ),
    "measure_mismatch": (
        "计量单位“{value}”与该产出类型的计量单位“{detail}”不符",
        "measure '{value}' does not match the output type's measure '{detail}'",
    ),
    "invalid_id_no": (
        "身份证号“{value}”不是有效的18位（含校验位）或15位号码；若在 Excel 中以数字录入，请设为文本后重新录入",
        (
            "ID number '{value}' is not a valid 18-digit (with check digit) or 15-digit number; "
            "if Excel stored it as a number, format the column as text and retype it"
        ),
    ),
    "duplicate_in_file": (
        "{header}“{value}”在本单位重复：本表第{row}行与第{detail}行相同",
        "{header} '{value}' repeats within the unit: row {row} is the same as row {detail} of this sheet",
    ),
    "id_stored_as_number": (
        (
            "身份证号“{value}”在 Excel 中以数字保存，末几位已丢失，无法恢复；"
            "请将该列设为文本后重新录入"
        ),
        (
            "ID number '{value}' was stored by Excel as a number and has lost its last digits, "
            "which cannot be recovered: format the column as text and retype it"
        ),
    ),
    "id_maybe_stored_as_number": (
        (
            "身份证号“{value}”末三位为000，像是 Excel 以数字保存后只留下前15位的号码"
            "（校验位可能碰巧相符），不能用来识别当事人；请将该列设为文本，按证件重新录入；"
            "若证件号码确实以000结尾，请将此格留空"
        ),
        (
            "ID number '{value}' ends in 000, as one does that Excel stored as a number and kept "
            "only the first 15 digits of (its check digit can match by chance), so it cannot "
            "identify the party: format the column as text and retype the number from the card; "
            "if the card's number really ends in 000, leave the cell empty"
        ),
    ),
    "formula_no_value": (
        (
            "{header}（单元格 {detail}）是公式“{value}”，文件中没有保存计算结果；"
            "请在 Excel 或 WPS 中打开并保存后重新提交"
        ),
        (
            "{header} (cell {detail}) is the formula '{value}' saved without its result: "
            "open and save the file in Excel or WPS, then submit it again"
        ),
    ),
    "excel_error": (
        (
            "{header}（单元格 {detail}）是 Excel 错误值“{value}”；"
            "请在 Excel 或 WPS 中改正该单元格后重新提交"
        ),
        (
            "{header} (cell {detail}) holds the Excel error '{value}': correct the cell in Excel "
            "or WPS, then submit it again"
        ),
    ),
    "duplicate_loaded": (
        "{header}“{value}”在本单位已存在（已入库：{detail}）",
        "{header} '{value}' already exists for this unit (loaded from {detail})",
    ),
}

ENUMS = {"source": SOURCES, "action": ACTIONS, "outcome": OUTCOMES}


def set_date_window(
    con: duckdb.DuckDBPyConnection, pilot_start: dt.date, run_date: dt.date
) -> None:
    """The window of dates a ledger can hold: from the pilot's first day to the day of the run."""
    con.execute("set variable pilot_start = ?", [pilot_start])
    con.execute("set variable run_date = ?", [run_date])


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Create the temp macros and message tables validation uses on this connection."""
    # id_hash reads its key from here; the ingest fills it from the installation's secret.
    con.execute("create or replace temp table id_key (inner_key blob, outer_key blob)")
    for stmt in MACROS:
        con.execute(stmt)
    con.execute(
        "create or replace temp table ref_rule (rule varchar, message_zh varchar, message_en varchar)"
    )
    con.executemany("insert into ref_rule values (?, ?, ?)", [(k, *v) for k, v in RULES.items()])
    con.execute("create or replace temp table ref_field (field varchar, header varchar)")
    fields = {(c.name, c.header) for lg in LEDGERS.values() for c in lg.columns}
    con.executemany("insert into ref_field values (?, ?)", sorted(fields))
    con.execute("create or replace temp table ref_enum (field varchar, value varchar, pos integer)")
    con.executemany(
        "insert into ref_enum values (?, ?, ?)",
        [(f, v, i) for f, vs in ENUMS.items() for i, v in enumerate(vs)],
    )


# Each ledger: a query over `src` (text cells) giving normalised columns named as the raw
# table's, `skip` (blank or total row) and `reasons` (every rule the row breaks). The ingest
# keeps what the raw table needs of it in the temp table `checked`.
# A CASE, not an AND: DuckDB evaluated the regex of the AND's right side on every row.
_SKIP = """(first_cell is null or case when contains(first_cell, '计')
    then regexp_replace(first_cell, '[\\s\\x{3000}]', '', 'g') in ('合计', '小计', '总计') else false end)"""

_UNIT_AND_GRID = """
    left join ref_unit_alias u on u.alias = upper(fold(s.unit))
    left join ref_grid g on g.unit_code = u.unit_code and upper(g.grid_code) = upper(fold(s.grid))
    left join ref_grid gn on gn.unit_code = u.unit_code and gn.grid_name = fold(s.grid)
    left join (select unit_code, count(*) as n from ref_grid group by unit_code) gc
        on gc.unit_code = u.unit_code"""

# An accepted-values column is looked up once, by a join in `normalised` giving {col}_known:
# a NOT IN in the rule was planned twice (once in the test for any broken rule, once in the list).
_ENUM_JOIN = """
    left join (select distinct value from ref_enum where field = '{field}') e_{field}
        on e_{field}.value = {expr}"""

_ENUM_CHECK = """case when {col} is not null and not {col}_known then reason('enum', '{field}', {col},
        (select string_agg(value, '、' order by pos) from ref_enum where field = '{field}')) end"""


# A deadline is set ahead of its day, so it may lie after the run's day: up to a year after.
_DEADLINE_LATEST = "cast(getvariable('run_date') + interval 1 year as date)"


def _date_window(
    field: str, text: str, parsed: str, latest: str = "getvariable('run_date')"
) -> str:
    """The rule that a parsed date lies in the window set_date_window sets.

    A date before the pilot's first day falls in none of its periods (the date spine starts
    there) and one after the run's day cannot have been written yet: 1911.8.3 and 2101-08-03
    are typing slips, not dates to count.
    """
    return f"""case when {parsed} is null
            or {parsed} between getvariable('pilot_start') and {latest} then null
        when {parsed} < getvariable('pilot_start') then reason('date_before_pilot', '{field}',
            {text}, cast(getvariable('pilot_start') as varchar))
        else reason('date_in_future', '{field}', {text}, cast({latest} as varchar)) end"""


def _enum_join(field: str, expr: str) -> str:
    return _ENUM_JOIN.format(field=field, expr=expr)


def _enum(field: str, col: str) -> str:
    return _ENUM_CHECK.format(field=field, col=col)


# The reasons of a row whose (unit, ID) repeats an earlier row of the sheet or a loaded record.
# A row without an ID repeats nothing (a blank row has none either): it is told the ID is
# required, and only that.
_DUPLICATES = """
    case when {id} is not null and source_row > dup_first then reason('duplicate_in_file', '{id}', {id}, cast(dup_first as varchar)) end,
    case when loaded_from is not null then reason('duplicate_loaded', '{id}', {id}, loaded_from) end"""

# The joins of `ranked` giving dup_first, the first row of a (unit, ID) that repeats in the
# sheet, and loaded_from, the file a record was already loaded from (loaded_ids, filled by the
# ingest). dup_first comes from an aggregate over two narrow columns (a window over the wide
# rows cost seconds per 100,000); the two are folded and the unit looked up again rather than
# taken from `normalised`, which would then be used twice and stored whole (a second copy of
# every row).
_REPEATS = """    left join (
        select coalesce(u.unit_code, k.unit_in) as unit_key, k.{id}, min(k.source_row) as first_row
        from (select source_row, fold(unit) as unit_in, fold({id}) as {id} from src) k
        left join ref_unit_alias u on u.alias = upper(k.unit_in)
        group by all having count(*) > 1
    ) dup on dup.unit_key is not distinct from coalesce(n.unit_code, n.unit_in)
        and dup.{id} is not distinct from n.{id}
    left join loaded_ids l on l.unit_code = n.unit_code and l.record_id = n.{id}"""


def _repeats(id_column: str) -> str:
    return _REPEATS.format(id=id_column)


# An 18-digit ID number ending in 000 is what Excel leaves of any 18-digit number stored as a
# number (15 digits kept, the rest zeros); one in eleven then carries the check digit its first
# 17 call for. It cannot be told from a real number ending in 000 (a sequence code x00 with
# check digit 0, one number in about 1,100), so it is quarantined, not hashed: a repeat-party
# count must not join two people cut to the same 15 digits. The clerk retypes it as text, or
# leaves the cell empty when the card's number really ends so.
# A closing date is held to the run's day only: one before the pilot began is before a found
# date that is not (closed_before_found says so, and a second reason would say it again).
# In the outputs' checks, a number followed by a measure word (1800份, 1800余条) is a quantity;
# one followed by anything else (2千, 1e+20) is not a number this ledger can take.
CHECKS = {
    "cases": f"""
with normalised as (
    select
        s.source_row, {_SKIP} as skip, s.extra_columns,
        fold(s.case_id) as case_id, fold(s.unit) as unit_in, u.unit_code,
        fold(s.grid) as grid_in, coalesce(g.grid_code, gn.grid_code, case when gc.n is null then fold(s.grid) end) as grid,
        gc.n as unit_grids,
        fold(s.found_date) as found_in, parse_date(fold(s.found_date)) as found_date,
        coalesce(fold(s.source), '其他') as source,
        upper(fold(s.item_code)) as item_code, i.item_code as item_known,
        s.summary, fold(s.party_name) as party_name,
        replace(replace(fold(s.party_id_no), ' ', ''), '-', '') as id_in,
        fold(s.action) as action, fold(s.referred_to) as referred_in, d.dept_code as referred_to,
        fold(s.deadline) as deadline_in, parse_date(fold(s.deadline)) as deadline,
        fold(s.closed_date) as closed_in, parse_date(fold(s.closed_date)) as closed_date,
        fold(s.outcome) as outcome,
        fold(s.fine_yuan) as fine_in,
        try_cast(regexp_replace(plain_number(fold(s.fine_yuan)), '元$', '') as decimal(18, 2))
            as fine_yuan,
        e_source.value is not null as source_known, e_action.value is not null as action_known,
        e_outcome.value is not null as outcome_known
    from src s
    {_UNIT_AND_GRID}
    left join ref_item i on i.item_code = upper(fold(s.item_code))
    left join ref_dept_alias d on d.alias = upper(fold(s.referred_to))
    {_enum_join("source", "coalesce(fold(s.source), '其他')")}
    {_enum_join("action", "fold(s.action)")}
    {_enum_join("outcome", "fold(s.outcome)")}
),
ranked as (
    select n.*,
        dup.first_row as dup_first,
        l.loaded_from,
        id_check(n.id_in) as id_expected
    from normalised n
{_repeats("case_id")}
)
select *, list_filter([
    req('case_id', case_id), req('unit', unit_in), req('found_date', found_in),
    req('item_code', item_code),
    case when unit_in is not null and unit_code is null then reason('unknown_unit', 'unit', unit_in, null) end,
    case when grid_in is not null and unit_grids is not null and grid is null
        then reason('unknown_grid', 'grid', grid_in, null) end,
    case when date_problem(found_in, found_date) is not null then reason(date_problem(found_in, found_date), 'found_date', found_in, null) end,
    case when date_problem(deadline_in, deadline) is not null then reason(date_problem(deadline_in, deadline), 'deadline', deadline_in, null) end,
    case when date_problem(closed_in, closed_date) is not null then reason(date_problem(closed_in, closed_date), 'closed_date', closed_in, null) end,
    {_date_window("found_date", "found_in", "found_date")},
    {_date_window("deadline", "deadline_in", "deadline", _DEADLINE_LATEST)},
    case when closed_date < found_date then reason('closed_before_found', 'closed_date', closed_in, found_in) end,
    case when closed_date > getvariable('run_date') then reason('date_in_future', 'closed_date', closed_in, cast(getvariable('run_date') as varchar)) end,
    {_enum("source", "source")},
    {_enum("action", "action")},
    {_enum("outcome", "outcome")},
    case when item_code is not null and item_known is null then reason('unknown_item', 'item_code', item_code, null) end,
    case when action = '移交' and referred_in is null then reason('referral_needs_department', 'referred_to', null, null) end,
    case when referred_in is not null and referred_to is null then reason('unknown_department', 'referred_to', referred_in, null) end,
    case when id_problem(id_in, id_expected) is null then null
        when regexp_full_match(id_in, '\\d(\\.\\d+)?[eE]\\+?\\d+')
            then reason('id_stored_as_number', 'party_id_no', mask_value(id_in), null)
        else reason('invalid_id_no', 'party_id_no', mask_value(id_in), null) end,
    case when suffix(id_in, '000') and length(id_in) = 18 and id_problem(id_in, id_expected) is null
        then reason('id_maybe_stored_as_number', 'party_id_no', mask_value(id_in), null) end,
    case when fine_in is not null and (fine_yuan is null or fine_yuan < 0)
        then reason(coalesce(number_problem(fine_in, false), 'not_number'), 'fine_yuan', fine_in, null) end,
    {_DUPLICATES.format(id="case_id")}
], lambda r: r is not null) as reasons
from ranked
""",
    "patrols": f"""
with normalised as (
    select
        s.source_row, {_SKIP} as skip, s.extra_columns,
        fold(s.patrol_id) as patrol_id, fold(s.unit) as unit_in, u.unit_code,
        fold(s.grid) as grid_in, coalesce(g.grid_code, gn.grid_code, case when gc.n is null then fold(s.grid) end) as grid,
        gc.n as unit_grids,
        fold(s.date) as date_in, parse_date(fold(s.date)) as date,
        fold(s.start_time) as start_in, parse_time(fold(s.start_time)) as start_time,
        fold(s.end_time) as end_in, parse_time(fold(s.end_time)) as end_time,
        list_filter(regexp_split_to_array(trim(s.officers), '[、，,;；\\s]+'), lambda x: x <> '')
            as officer_list,
        fold(s.issues_found) as issues_in,
        parse_int(fold(s.issues_found)) as issues_found,
        fold(s.resolved_on_spot) as resolved_in,
        parse_int(fold(s.resolved_on_spot)) as resolved_on_spot,
        s.note
    from src s
    {_UNIT_AND_GRID}
),
ranked as (
    select n.*,
        array_to_string(officer_list, '、') as officers,
        coalesce(len(officer_list), 0) as officer_count,
        dup.first_row as dup_first,
        l.loaded_from
    from normalised n
{_repeats("patrol_id")}
)
select *, list_filter([
    req('patrol_id', patrol_id), req('unit', unit_in), req('date', date_in),
    req('start_time', start_in), req('end_time', end_in),
    case when officer_count = 0 then reason('required', 'officers', null, null) end,
    case when unit_in is not null and unit_code is null then reason('unknown_unit', 'unit', unit_in, null) end,
    case when grid_in is not null and unit_grids is not null and grid is null
        then reason('unknown_grid', 'grid', grid_in, null) end,
    case when date_problem(date_in, date) is not null then reason(date_problem(date_in, date), 'date', date_in, null) end,
    {_date_window("date", "date_in", "date")},
    case when start_in is not null and start_time is null then reason('time_format', 'start_time', start_in, null) end,
    case when end_in is not null and end_time is null then reason('time_format', 'end_time', end_in, null) end,
    case when issues_in is not null and (issues_found is null or issues_found < 0)
        then reason(int_problem(issues_in), 'issues_found', issues_in, null) end,
    case when resolved_in is not null and (resolved_on_spot is null or resolved_on_spot < 0)
        then reason(int_problem(resolved_in), 'resolved_on_spot', resolved_in, null) end,
    case when resolved_on_spot > coalesce(issues_found, 0)
        then reason('resolved_exceeds_found', 'resolved_on_spot', resolved_in, coalesce(issues_in, '0')) end,
    {_DUPLICATES.format(id="patrol_id")}
], lambda r: r is not null) as reasons
from ranked
""",
    "outputs": f"""
with normalised as (
    select
        s.source_row, {_SKIP} as skip, s.extra_columns,
        fold(s.activity_id) as activity_id, fold(s.unit) as unit_in, u.unit_code,
        fold(s.date) as date_in, parse_date(fold(s.date)) as date,
        fold(s.campaign) as campaign,
        fold(s.output_type) as type_in, o.output_code, o.measure as type_measure,
        fold(s.quantity) as quantity_in,
        regexp_extract(plain_number(fold(s.quantity)),
            '^(约)?(\\d+(?:\\.\\d+)?)(余|多)?(.*)$', ['pre', 'num', 'post', 'word']) as q,
        fold(s.measure) as measure, fold(s.place) as place, s.note
    from src s
    left join ref_unit_alias u on u.alias = upper(fold(s.unit))
    left join ref_output_alias o on o.alias = upper(fold(s.output_type))
),
ranked as (
    select n.*,
        case when q.word = '' or (regexp_full_match(q.word, '\\p{{Han}}{{1,3}}')
                and q.word not in ('十', '百', '千', '万', '亿'))
            then nullif(q.num, '') end as quantity,
        q.pre <> '' or q.post <> '' as quantity_approx,
        dup.first_row as dup_first,
        l.loaded_from
    from normalised n
{_repeats("activity_id")}
)
select *, list_filter([
    req('activity_id', activity_id), req('unit', unit_in), req('date', date_in),
    req('output_type', type_in), req('quantity', quantity_in),
    case when unit_in is not null and unit_code is null then reason('unknown_unit', 'unit', unit_in, null) end,
    case when date_problem(date_in, date) is not null then reason(date_problem(date_in, date), 'date', date_in, null) end,
    {_date_window("date", "date_in", "date")},
    case when type_in is not null and output_code is null
        then reason('unknown_output_type', 'output_type', type_in, null) end,
    case when quantity_in is not null and quantity is null
        then reason(coalesce(number_problem(quantity_in, false), 'not_number'), 'quantity', quantity_in, null) end,
    case when quantity is not null and q.word <> '' and output_code is not null and q.word <> type_measure
        then reason('quantity_measure_mismatch', 'quantity', quantity_in, type_measure) end,
    case when measure is not null and output_code is not null and measure <> type_measure
        then reason('measure_mismatch', 'measure', measure, type_measure) end,
    {_DUPLICATES.format(id="activity_id")}
], lambda r: r is not null) as reasons
from ranked
""",
}

# A formula cell saved without its result (see readers.uncached_formulas) holds the formula text;
# its one reason replaces whatever the column's own rules said about that text.
FORMULAS = """
create or replace temp table checked as
with cells as (
    select source_row,
        from_json(formula_cells, '[{"field": "VARCHAR", "cell": "VARCHAR", "formula": "VARCHAR"}]')
            as cells
    from src where formula_cells is not null
)
select c.* replace (case when f.cells is null then c.reasons else list_concat(
        list_filter(c.reasons, lambda r:
            not list_contains(list_transform(f.cells, lambda x: x.field), r.field)),
        list_transform(f.cells, lambda x: reason(
            case when starts_with(x.formula, '=') then 'formula_no_value' else 'excel_error' end,
            x.field, x.formula, x.cell))
    ) end as reasons)
from checked c left join cells f on f.source_row = c.source_row
"""

# Values of personal columns as they may appear in a quarantine reason or row dump.
PERSONAL_FIELDS = ("party_name", "party_id_no", "phone")


def _fold_once(sql: str) -> str:
    """Fold each column once, in a projection under the joins, rather than at every use.

    fold() costs a regex scan a value, and a column is folded in a join condition, in the
    normalised value and again in a parse: at 1,000,000 rows that was half of validation.
    """
    cols = sorted(set(re.findall(r"fold\(s\.(\w+)\)", sql)))
    folds = ", ".join(f"fold({c}) as {c}" for c in cols)
    assert sql.count("    from src s\n") == 1
    sql = sql.replace("fold(s.", "(s.")
    return sql.replace("    from src s\n", f"    from (select * replace ({folds}) from src) s\n")


def _top_level(text: str) -> list[str]:
    """The items of a comma-separated SQL list, split at commas outside brackets and quotes."""
    items, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    items.append(text[start:].strip())
    return [item for item in items if item]


def _broken_when(rule: str) -> str:
    """A boolean, never null, true when `rule` (a reason, or null when the row keeps it) is a reason.

    The rules take three forms: req(field, value); case when C then reason(...) end; and
    case when C then null when ... end (any other branch a reason).
    """
    text = " ".join(rule.split())
    if m := re.fullmatch(r"req\('\w+', (.+)\)", text):
        return f"({m.group(1)}) is null"
    if m := re.fullmatch(r"case when (.+?) then null when .+ end", text):
        return f"not coalesce({m.group(1)}, false)"
    if m := re.fullmatch(r"case when (.+?) then reason\(.+\) end", text):
        return f"coalesce({m.group(1)}, false)"
    raise ValueError(f"a rule of unknown form: {text[:80]}")


def _reasons_when_broken(sql: str) -> str:
    """Build a row's list of reasons only when one of its rules is broken.

    Each rule is a CASE that is null when the row keeps it. Building twenty (mostly null)
    reason structs for every row and filtering them was the costliest step of validation. The
    rules' conditions, ORed, find the few rows that break any; only those get the list. The
    structs appear once, inside the CASE's branch, which DuckDB evaluates for those rows alone.
    """
    head = "select *, list_filter(["
    tail = "], lambda r: r is not null) as reasons"
    start = sql.index(head) + len(head)
    end = sql.index(tail)
    rules = sql[start:end]
    broken = " or ".join(_broken_when(rule) for rule in _top_level(rules))
    return (
        sql[: start - len("list_filter([")]
        + f"case when {broken} then list_filter([{rules}], lambda r: r is not null) "
        + "else [] end as reasons"
        + sql[end + len(tail) :]
    )


CHECKS = {name: _reasons_when_broken(_fold_once(sql)) for name, sql in CHECKS.items()}
