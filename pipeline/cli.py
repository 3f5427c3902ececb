"""The `pilot` command: a thin shell over the library. The only module that prints."""

from __future__ import annotations

import copy
import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Column, Table
from rich.text import Text
from typer.core import TyperGroup

from .errors import PilotError, refuse_to_overwrite
from .settings import Settings


class _Group(TyperGroup):
    """pilot's commands: each also takes the options `pilot` takes, after its own name."""

    def __init__(self, **attrs) -> None:
        super().__init__(**attrs)
        for command in self.commands.values():
            for option in self.params:
                # A copy of `pilot`'s own option: its name, help and type; its callback applies
                # it on top of the one given before the command (main_options has run by then).
                after = copy.copy(option)
                after.expose_value = False
                after.callback = _AFTER_COMMAND[option.name]
                command.params.append(after)
        # Click 8.2+ gives a flag the metavar <bool>, which --help then shows as if the flag
        # took a value (`--force <bool>`); a flag takes none.
        for command in (self, *self.commands.values()):
            for param in command.params:
                if getattr(param, "is_flag", False) and param.metavar is None:
                    param.metavar = ""
            command.get_help_option = _without_metavar(command.get_help_option)


def _without_metavar(get_help_option):
    """A command's get_help_option whose --help flag shows no metavar (see _Group)."""

    def get(ctx):
        option = get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    return get


app = typer.Typer(
    cls=_Group,
    help="pilot: 西夏区社会管理综合执法试点的台账入库、指标、报告与导出。\n\n"
    "Ledgers -> DuckDB warehouse -> dbt metrics -> reports, summaries and exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


class Lang(str, Enum):
    zh = "zh"
    en = "en"


class Period(str, Enum):
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"
    all = "all"


class ExportWhat(str, Enum):
    metrics = "metrics"
    outputs = "outputs"
    referrals = "referrals"


class ExportFormat(str, Enum):
    csv = "csv"
    xlsx = "xlsx"
    json = "json"


class SummaryFormat(str, Enum):
    md = "md"
    docx = "docx"
    html = "html"


class StatusFormat(str, Enum):
    table = "table"
    json = "json"


class QualityFormat(str, Enum):
    table = "table"
    json = "json"
    xlsx = "xlsx"


def _format_for(given: Enum | None, out_file: Path | None, formats: type[Enum], default: Enum):
    """The --format given, else the one --out's extension names, else the default."""
    if given is not None:
        return given
    if out_file is not None:
        suffix = out_file.suffix.lower().lstrip(".")
        for member in formats:
            if member.value == suffix:
                return member
    return default


class State:
    settings: Settings = Settings()
    quiet: bool = False


state = State()


@app.callback()
def main_options(
    warehouse: Annotated[
        Path | None,
        typer.Option(
            help="仓库文件 / warehouse file (default: $PILOT_WAREHOUSE or data/warehouse.duckdb)"
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="只显示错误 / print errors only, no progress")
    ] = False,
) -> None:
    state.settings = Settings.from_env(warehouse)
    state.quiet = quiet


def _warehouse_after_command(ctx: typer.Context, param, value: Path | None) -> None:
    """`pilot CMD --warehouse W`: as `pilot --warehouse W CMD`; two different files are refused."""
    if value is None:
        return
    before = ctx.parent.params.get("warehouse") if ctx.parent else None
    chosen = Settings.from_env(value)
    # Neither wins: one of them would be read or written without the user having meant it.
    if before is not None and Settings.from_env(before).warehouse != chosen.warehouse:
        raise typer.BadParameter(
            f"命令前后给了两个不同的仓库文件 / two different warehouses: {before} before the "
            f"command, {value} after it",
            ctx=ctx,
            param=param,
        )
    state.settings = chosen


def _quiet_after_command(ctx: typer.Context, param, value: bool) -> None:
    """`pilot CMD --quiet`: as `pilot --quiet CMD`."""
    if value:
        state.quiet = True


_AFTER_COMMAND = {"warehouse": _warehouse_after_command, "quiet": _quiet_after_command}


def _say(message: str, console: Console = out) -> None:
    """A note on what a command did or is doing: not with --quiet, which prints errors only."""
    if not state.quiet:
        console.print(message, markup=False, highlight=False)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        disable=state.quiet or not err.is_terminal,
        transient=True,
    )


# A file's status in raw.files, as the ingest table shows it.
_FILE_STATUS = {
    "loaded": "已入库 loaded",
    "unchanged": "未变 unchanged",
    "duplicate": "重复 duplicate",
    "superseded": "已被替换 superseded",
    "failed": "失败 failed",
    "withdrawn": "已撤回 withdrawn",
}


def _ingest(paths: list[Path], command: str) -> bool:
    from .ingest import find_files, ingest
    from .readers import READERS

    files = find_files(paths)
    if not files:
        raise PilotError(
            "没有找到台账文件 / no ledger files in: " + ", ".join(str(p) for p in paths),
            hint="ledgers are " + ", ".join(READERS) + " files; name them or their folder",
        )
    with _progress() as progress:
        task = progress.add_task("入库 / ingest", total=len(files))

        def advance(path: Path) -> None:
            progress.update(task, advance=1, description=f"入库 / ingest {path.name}")

        result = ingest(
            state.settings, files, progress=advance, command=command, on_wait=_say_waiting
        )
    # Long names wrap rather than end in "…" (a log written to a file is 80 columns wide).
    table = Table(
        Column("文件 / file", overflow="fold"),
        Column("状态 / status", overflow="fold"),
        "读取 read",
        "入库 loaded",
        "隔离 quarantined",
        "跳过 skipped",
        title="入库结果 / ingest result",
    )
    for f in result.files:
        status = _FILE_STATUS.get(f.status, f.status) + (
            f" ({f.duplicate_of})" if f.duplicate_of else ""
        )
        table.add_row(
            # Text: a file named XHY_[red]台账.csv is shown as it is named, not as rich markup.
            Text(f.path.name),
            Text(status),
            str(f.total("rows_read")),
            str(f.total("rows_loaded")),
            str(f.total("rows_quarantined")),
            str(f.total("rows_skipped")),
        )
    if not state.quiet:
        err.print(table)
    for f in result.files:
        if f.supersedes:
            _say(
                f"{f.path.name}: 替换上一版本，撤下其 {f.withdrawn} 行 / replaces its earlier "
                f"version: {f.withdrawn} row(s) withdrawn, {f.total('rows_loaded')} loaded",
                err,
            )
    for f in result.files:
        unused = _columns_not_used(f)
        if unused:
            zh, en = _resembling(unused)
            _say(
                f"{f.path.name}: 未识别的列 {zh}，其数据不计入指标 / columns not in the contract, "
                f"their data used by no metric: {en}",
                err,
            )
        # A personal column not stored is as meant, unless it is a contract column misnamed
        # (身份证号码 for 身份证号): then its ID numbers are lost to the repeat-party counts.
        misnamed = [(n, m) for n, m in _columns_not_used(f, personal=True) if m]
        if misnamed:
            zh, en = _resembling(misnamed)
            _say(
                f"{f.path.name}: 个人信息列 {zh} 未入库 / personal-data columns not stored: {en}",
                err,
            )
    for f in result.failed:
        err.print(f"错误 / error: {f.error}", markup=False, highlight=False)
        if f.hint:
            err.print(f"提示 / hint: {f.hint}", markup=False, highlight=False)
    quarantined = sum(f.total("rows_quarantined") for f in result.files)
    if quarantined:
        _say(
            f"{quarantined} 行被隔离，详见 `pilot quality` / {quarantined} row(s) quarantined: "
            "see `pilot quality`",
            err,
        )
    return not result.failed


def _resembling(columns: list[tuple[str, str | None]]) -> tuple[str, str]:
    """Column names, each with the contract header it resembles, in Chinese and in English."""
    zh = "、".join(f"{n}（应为 {m}？）" if m else n for n, m in columns)
    en = ", ".join(f"{n} (meant {m}?)" if m else n for n, m in columns)
    return zh, en


def _columns_not_used(report, personal: bool = False) -> list[tuple[str, str | None]]:
    """A file's unknown columns, each with the contract header it resembles, if any: those kept
    in the raw layer, or (`personal`) those not stored because their header names personal
    data."""
    from .contract import LEDGERS, is_personal_header, similar_header

    found: list[tuple[str, str | None]] = []
    for sheet in report.sheets:
        ledger = LEDGERS.get(sheet.ledger) if sheet.ledger else None
        for name in sheet.unknown_columns:
            if is_personal_header(name) != personal or any(name == n for n, _ in found):
                continue
            found.append((name, similar_header(ledger, name) if ledger else None))
    return found


def _say_waiting() -> None:
    _say(
        "另一个 pilot 进程正在写入仓库，等待中… / another pilot command is writing the "
        "warehouse, waiting…",
        err,
    )


def _build():
    from .build import build_and_publish

    with _progress() as progress:
        task = progress.add_task("构建指标 / dbt build", total=None)

        def advance(node) -> None:
            progress.update(task, advance=1, description=f"构建指标 / dbt build: {node.name}")

        return build_and_publish(state.settings, on_node=advance, on_wait=_say_waiting)


@app.command()
def run(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="台账文件或文件夹 / ledger files or folders (default: the demo ledgers)"
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="报告输出文件夹 / report folder (default: reports/)"),
    ] = None,
    lang: Annotated[Lang, typer.Option(help="报告语言 / report language")] = Lang.zh,
) -> None:
    """入库、构建、出报告 / ingest, build and report in one go."""
    from .report import write_report

    # The report's folder is made first: a path that cannot be one fails before the ingest.
    Path(out_dir or state.settings.reports_dir).expanduser().mkdir(parents=True, exist_ok=True)
    ok = _ingest(paths or [state.settings.demo_dir], "run")
    _build()
    index = write_report(state.settings, out_dir=out_dir, lang=lang.value)
    _say(f"报告 / report: {index}")
    if not ok:
        raise typer.Exit(1)


@app.command("ingest")
def ingest_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="台账文件或文件夹 (.xlsx .xlsm .xls .csv .txt) / ledger files or folders"
        ),
    ],
) -> None:
    """台账入库 / ingest ledger files into the warehouse's raw schema."""
    if not _ingest(paths, "ingest"):
        raise typer.Exit(1)


@app.command("build")
def build_command() -> None:
    """加载参考表并运行 dbt build / load reference tables and run dbt build (models and tests)."""
    if _build().nodes:
        _say("构建完成 / build passed", err)
    else:
        _say(
            "无变化，未运行 dbt：已发布的数据就是最新的 / nothing changed since the published "
            "build: dbt not run",
            err,
        )


@app.command()
def withdraw(
    files: Annotated[
        list[str],
        typer.Argument(
            help="已入库的文件名（如 pilot quality 所列）或文件编号 / name of a loaded file, as "
            "`pilot quality` lists it, or its file id"
        ),
    ],
    reason: Annotated[
        str | None,
        typer.Option(help="撤回原因，记入仓库 / why, kept in the warehouse (raw.withdrawals)"),
    ] = None,
) -> None:
    """撤回已入库的文件 / take loaded files back out (all or none); then run `pilot build`."""
    from .withdraw import withdraw as withdraw_files

    for done in withdraw_files(state.settings, files, reason=reason, on_wait=_say_waiting):
        _say(
            f"已撤回 / withdrawn: {done.file_name}（{done.rows_withdrawn} 行台账、"
            f"{done.rows_quarantined} 行隔离 / {done.rows_withdrawn} ledger row(s), "
            f"{done.rows_quarantined} quarantined）"
        )
    _say(
        "运行 `pilot build` 后指标与报告才会更新 / run `pilot build` to take them out of the "
        "metrics and reports",
        err,
    )


@app.command()
def report(
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="输出文件夹 / output folder (default: reports/)")
    ] = None,
    lang: Annotated[Lang, typer.Option(help="报告语言 / report language")] = Lang.zh,
    date_from: Annotated[
        str | None, typer.Option("--from", help="起始日期 / from date (YYYY-MM-DD)")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="截止日期 / to date (YYYY-MM-DD)")
    ] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="只看一个单位 / one unit only (e.g. XHY)")
    ] = None,
) -> None:
    """生成报告网站 / write the report site: overview and one page per subject."""
    from .report import write_report

    index = write_report(
        state.settings,
        out_dir=out_dir,
        lang=lang.value,
        date_from=date_from,
        date_to=date_to,
        unit=unit,
    )
    _say(f"报告 / report: {index}")


@app.command()
def export(
    what: Annotated[ExportWhat, typer.Argument(help="metrics | outputs | referrals")],
    period: Annotated[Period, typer.Option(help="统计周期 / period")] = Period.month,
    date_from: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="起始日期：导出结束日不早于此日的各周期（整期导出）；all 则为区间起点 / from date "
            "(YYYY-MM-DD): periods that end on or after it, exported whole; with --period all, "
            "the range's first day",
        ),
    ] = None,
    date_to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="截止日期：导出开始日不晚于此日的各周期（整期导出）；all 则为区间终点 / to date "
            "(YYYY-MM-DD): periods that start on or before it, exported whole; with --period "
            "all, the range's last day",
        ),
    ] = None,
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            help="格式，默认取 --out 的扩展名，否则 csv / format (default: the one --out's "
            "extension names, else csv)",
        ),
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="输出文件 / output file (default: stdout)")
    ] = None,
) -> None:
    """导出指标 / export metrics, campaign outputs or referrals per unit and period."""
    from .export import export as do_export

    fmt = _format_for(fmt, out_file, ExportFormat, ExportFormat.csv)

    result = do_export(
        state.settings,
        what.value,
        period=period.value,
        date_from=date_from,
        date_to=date_to,
        fmt=fmt.value,
        out=out_file,
    )
    if isinstance(result, Path):
        _say(f"已导出 / written: {result}", err)
    else:
        sys.stdout.write(result)


@app.command()
def quality(
    fmt: Annotated[
        QualityFormat | None,
        typer.Option(
            "--format",
            help="table | json | xlsx（默认取 --out 的扩展名，否则 table）/ default: the one "
            "--out's extension names, else table",
        ),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="输出文件 / file to write (--format xlsx or json)"),
    ] = None,
) -> None:
    """数据质量：每个文件的读取、入库、隔离、跳过行数及隔离原因 / per-file accounting and quarantine."""
    from .quality import by_file, write_workbook
    from .quality import quality as read_quality

    fmt = _format_for(fmt, out_file, QualityFormat, QualityFormat.table)

    if fmt is QualityFormat.xlsx and out_file is None:
        raise PilotError(
            "--format xlsx 需要 --out 文件 / --format xlsx needs --out FILE",
            hint="e.g. pilot quality --format xlsx --out 隔离行.xlsx",
        )
    if fmt is QualityFormat.table and out_file is not None:
        raise PilotError(
            "--out 用于 xlsx 或 json 格式 / --out writes --format xlsx or json; the table is printed",
            hint="e.g. pilot quality --format json --out quality.json",
        )
    data = read_quality(state.settings)
    if fmt is QualityFormat.json:
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if out_file is None:
            sys.stdout.write(text)
        else:
            out_file.write_text(text, encoding="utf-8")
            _say(f"已写出 / wrote {out_file}")
        return
    if fmt is QualityFormat.xlsx:
        _say(f"已写出 / wrote {write_workbook(data, out_file)}")
        return
    if not data["files"]:
        out.print("尚未入库任何文件 / no file ingested yet")
    for f, rows in by_file(data):
        counts = (
            f"读取 {f['rows_read']}，入库 {f['rows_loaded']}，隔离 {f['rows_quarantined']}，"
            f"跳过 {f['rows_skipped']}"
        )
        out.print(f"\n{f['file']}  [{f['status']}]  {f['ledger'] or ''}  {counts}", markup=False)
        for key, label in (
            ("duplicate_of", "与此文件内容相同 / duplicate of"),
            ("supersedes", "替换 / supersedes"),
            ("error", "错误 / error"),
            ("sheets_not_read", "未读取的工作表（无台账表头）/ sheets not read (no ledger header)"),
            ("personal_columns_dropped", "个人信息列，未入库 / personal-data columns, not stored"),
            (
                "columns_not_used",
                "未识别的列，不计入指标 / columns not in the contract, not used by any metric",
            ),
        ):
            if f.get(key):
                value = f[key] if isinstance(f[key], str) else ", ".join(f[key])
                out.print(f"  {label}: {value}", markup=False)
        if rows:
            table = Table(
                "工作表 sheet",
                "行 row",
                "列 column",
                Column("值 value", overflow="fold"),
                Column("原因 reason", overflow="fold"),
            )
            for row in rows:
                for r in row["reasons"]:
                    # Text cells: a value like [电话] is what the clerk wrote, not rich markup.
                    cells = (
                        row["sheet"],
                        str(row["row"]),
                        r.get("column") or r["field"],
                        r.get("value") or "",
                        f"{r['message_zh']} / {r['message_en']}",
                    )
                    table.add_row(*(Text(c) for c in cells))
            out.print(table)


_BUILD_STATUS = {
    "passed": "通过 passed",
    "failed": "失败 failed",
    "interrupted": "已中断 interrupted",
}


@app.command("status")
def status_command(
    fmt: Annotated[
        StatusFormat, typer.Option("--format", help="table | json")
    ] = StatusFormat.table,
) -> None:
    """仓库状态：已发布的快照、待构建的数据、上次构建结果 / warehouse, snapshot, last build."""
    from .status import status

    info = status(state.settings)
    if fmt is StatusFormat.json:
        sys.stdout.write(json.dumps(info, ensure_ascii=False, indent=2) + "\n")
        return
    published = info["published"]
    last = info["last_build"]
    waiting = info["waiting_to_build"]
    lines = [
        f"仓库 / warehouse: {info['warehouse']}"
        + ("" if info["warehouse_exists"] else " (尚未创建 / not created yet)"),
        "已发布 / published: "
        + (
            f"{published['published_at']} (load {published['load_id']}, {published['snapshot']})"
            if published
            else "无 / none"
        ),
        "上次构建 / last build: "
        + (
            f"{_BUILD_STATUS.get(last['status'], last['status'])} at {last['finished_at']}"
            if last
            else "无 / none"
        ),
    ]
    if last and last.get("message") and last["status"] != "passed":
        lines.append(last["message"])
    if waiting is not None:
        lines.append(
            f"待构建 / waiting to build: 快照之后 {waiting['loads']} 次入库、"
            f"{waiting['files_loaded']} 个文件 / {waiting['files_loaded']} file(s) in "
            f"{waiting['loads']} load(s) since the snapshot"
            + (
                f"；撤回 {waiting['files_withdrawn']} 个文件 / {waiting['files_withdrawn']} file(s) "
                "withdrawn"
                if waiting["files_withdrawn"]
                else ""
            )
        )
    if info["build_due"] is not None:
        lines.append(
            "需要构建 / build due: "
            + (
                "是：台账或项目（模型、参考表）在快照之后有变化 / yes: the ledgers or the project "
                "(models, reference tables) changed since the snapshot"
                if info["build_due"]
                else "否 / no"
            )
        )
    if info["busy"]:
        lines.append(
            "仓库正被写入，待构建数暂不可知 / a writer is active: the waiting count is not available"
        )
    out.print("\n".join(lines), markup=False)


@app.command()
def summary(
    unit: Annotated[
        str | None, typer.Option(help="单位代码 / unit code (default: the whole pilot, ALL)")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="起始日期 / from date (YYYY-MM-DD)")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="截止日期 / to date (YYYY-MM-DD)")
    ] = None,
    fmt: Annotated[
        SummaryFormat | None,
        typer.Option(
            "--format",
            help="格式，默认取 --out 的扩展名，否则 docx / format (default: the one --out's "
            "extension names, else docx)",
        ),
    ] = None,
    lang: Annotated[Lang, typer.Option(help="语言 / language")] = Lang.zh,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", help="输出文件或文件夹 / output file or folder (default: the reports folder)"
        ),
    ] = None,
    template: Annotated[
        Path | None, typer.Option(help="模板文件夹 / folder of your own templates")
    ] = None,
) -> None:
    """工作经验材料：数字取自报表模型，逐项可查 / work-experience summary, every figure traced."""
    from .summary import cjk_font, write_summary

    fmt = _format_for(fmt, out_file, SummaryFormat, SummaryFormat.docx)
    path = write_summary(
        state.settings,
        unit=unit,
        date_from=date_from,
        date_to=date_to,
        fmt=fmt.value,
        lang=lang.value,
        out=out_file,
        template_dir=template,
    )
    _say(f"工作经验材料 / summary: {path}")
    if lang.value == "zh" and cjk_font() is None:
        # The text is Chinese either way; without a font for it, the charts' labels are not.
        _say(
            "提示 / note: 本机没有中文字体，图中的文字改用英文（可安装 Noto Sans CJK SC 或"
            "文泉驿微米黑）/ no Chinese font here: the charts' labels are in English (install "
            "e.g. Noto Sans CJK SC or WenQuanYi Micro Hei)",
            err,
        )


@app.command()
def demo(
    out_dir: Annotated[
        Path | None, typer.Argument(help="输出文件夹 / output folder (default: data/demo)")
    ] = None,
    seed: Annotated[int, typer.Option(help="随机种子 / random seed")] = 2011,
    units: Annotated[
        int | None,
        typer.Option(help="生成大规模模拟台账的单位数 / units of scaled synthetic CSV ledgers"),
    ] = None,
    years: Annotated[
        int | None,
        typer.Option(
            help="模拟台账的年数（与 --units 同用）/ years of scaled ledgers (with --units)"
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="覆盖同名文件 / replace files of the same name"),
    ] = False,
) -> None:
    """重新生成示例台账 / regenerate the demo ledgers (with --units: scaled CSV ledgers)."""
    from .demo import demo_paths, generate_demo

    if years is not None and units is None:
        raise PilotError(
            "--years 需与 --units 同用 / --years is for scaled ledgers: give --units too",
            hint="e.g. pilot demo scaled --units 200 --years 3",
        )
    if units is not None:
        years = 1 if years is None else years
        from .scale import generate_scaled

        target = out_dir or Path("scaled")
        scaled = generate_scaled(
            target,
            units=units,
            years=years,
            seed=seed,
            pilot_start=state.settings.pilot_start,
        )
        _say(
            f"已生成 {len(scaled.files)} 个模拟台账（案件 {scaled.cases} 行，巡查 {scaled.patrols} 行，"
            f"活动 {scaled.outputs} 行）/ wrote {len(scaled.files)} scaled ledgers to "
            f"{target / 'ledgers'}, their reference tables to {scaled.reference_dir}"
        )
        return
    target = out_dir or state.settings.demo_dir
    # The demo's files are named as clerks name real ledgers (XHY_案件台账.xlsx): outside the
    # project's own demo folder, files already there are left alone unless --force.
    if Path(target).resolve() != state.settings.demo_dir.resolve() and not force:
        refuse_to_overwrite(demo_paths(target), "the demo ledgers")
    files = generate_demo(target, seed=seed, pilot_start=state.settings.pilot_start)
    _say(
        f"已生成 {len(files)} 个示例台账 / wrote {len(files)} demo ledgers to "
        f"{out_dir or state.settings.demo_dir}"
    )


@app.command()
def templates(
    out_dir: Annotated[Path, typer.Argument(help="输出文件夹 / output folder")],
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit",
            help="单位代码：下拉列表只列该单位及其网格 / unit code (e.g. XHY): the drop-downs "
            "offer that unit and its grids only, and the files are named after it",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="覆盖同名文件 / replace files of the same name"),
    ] = False,
) -> None:
    """生成台账填报模板 / write Excel templates of the three ledgers for clerks."""
    from .clerk_templates import write_templates

    files = write_templates(state.settings, out_dir, unit=unit, overwrite=force)
    _say(f"已生成 {len(files)} 个台账模板 / wrote {len(files)} ledger templates to {out_dir}")


def _usage_errors() -> tuple[type[Exception], ...]:
    """Click's exception classes: a missing argument or a bad option is a usage message.

    Typer 0.2x raises those of its own copy of Click (typer._click), not click's; both count.
    """
    import click

    classes: list[type[Exception]] = [click.ClickException]
    try:
        from typer._click.exceptions import ClickException
    except ImportError:  # an older typer uses click itself
        pass
    else:
        classes.append(ClickException)
    return tuple(classes)


# Click says what went wrong in English only; its users read Chinese first. The most specific
# class comes first (MissingParameter is a BadParameter, every one a UsageError).
_USAGE_ZH = (
    ("NoArgsIsHelpError", None),
    ("MissingParameter", "缺少必需的参数或选项"),
    ("NoSuchOption", "没有这个选项"),
    ("BadParameter", "参数取值无效"),
    ("BadOptionUsage", "选项用法有误"),
    ("BadArgumentUsage", "参数用法有误"),
    ("UsageError", "命令用法有误"),
)


def _usage_zh(exc: Exception) -> str | None:
    """A Chinese line for a usage error click has shown; None when it showed the help itself."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    for name, zh in _USAGE_ZH:
        if name in names:
            if zh is None:
                return None
            param = getattr(exc, "param", None)
            named = getattr(exc, "option_name", None) or (param.opts[0] if param else None)
            return f"{zh} {named}" if named else zh
    return None


# The signal that stopped the command, when `kill` did (see _stop_on_sigterm).
_stopped_by: list[int] = []


def _stop_on_sigterm() -> None:
    """`kill` (SIGTERM) unwinds like Ctrl-C: the ingest's temp folder is removed and the open
    transaction rolled back, where Python's default would end the process on the spot."""
    import signal

    def stop(signum, frame):
        # Raised in Python code, or inside a DuckDB query, which turns it into its interrupt.
        _stopped_by.append(signum)
        raise SystemExit(128 + signum)

    try:
        signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (the CLI called from a test runner's thread)
        pass


def main() -> None:
    """Console entry point: library errors become one message with a hint, never a traceback."""
    _stop_on_sigterm()
    try:
        sys.exit(app(standalone_mode=False) or 0)
    except PilotError as exc:
        err.print(f"错误 / error: {exc.message}", highlight=False, markup=False)
        if exc.hint:
            err.print(f"提示 / hint: {exc.hint}", highlight=False, markup=False)
        sys.exit(1)
    except OSError as exc:
        # A path the user gave (--out, a folder, a file) that cannot be written or read.
        if os.environ.get("PILOT_DEBUG"):
            raise
        where = f" {exc.filename}" if exc.filename else ""
        err.print(
            f"错误 / error: 无法读写 / cannot read or write{where}: {exc.strerror or exc}",
            highlight=False,
            markup=False,
        )
        err.print("提示 / hint: check the path and that you may write there", markup=False)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _aborted()
    except Exception as exc:
        if _interrupted(exc):
            _aborted()
        if isinstance(exc, _usage_errors()):
            exc.show()
            if zh := _usage_zh(exc):
                err.print(
                    f"错误：{zh}（用法见上；加 --help 查看帮助）", highlight=False, markup=False
                )
            sys.exit(exc.exit_code)
        if os.environ.get("PILOT_DEBUG"):
            raise
        err.print(
            f"内部错误 / internal error: {type(exc).__name__}: {exc}", highlight=False, markup=False
        )
        err.print(
            "提示 / hint: set PILOT_DEBUG=1 to see the traceback, and report it", markup=False
        )
        # 2 is for usage mistakes; this is an error like any other to a script.
        sys.exit(1)


def _aborted() -> None:
    """Stopped by Ctrl-C (status 130) or by `kill` (143), after what was begun was undone."""
    err.print("已取消 / aborted")
    sys.exit(128 + (_stopped_by[0] if _stopped_by else 2))


def _interrupted(exc: BaseException) -> bool:
    """Ctrl-C that DuckDB turned into an error of its own while a query ran."""
    import duckdb

    return isinstance(exc, duckdb.InterruptException) or (
        isinstance(exc, RuntimeError) and str(exc) == "Query interrupted"
    )


if __name__ == "__main__":
    main()
