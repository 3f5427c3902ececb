"""Personal data planted in fixtures and the demo, and a scan of artefacts for any of it."""

from __future__ import annotations

import re
import zipfile
from functools import cache
from pathlib import Path

import openpyxl

from pipeline.settings import PROJECT_ROOT

PRIVACY_FIXTURES = Path(__file__).parent / "fixtures" / "privacy"

# Exactly what tests/fixtures/privacy/* carry; none of it may be published or stored.
PLANTED = (
    "张三",
    "李四",
    "110105194912310021",
    "11010519491231002X",
    "110105491231002",
    "１１０１０５１９４９１２３１００２１",
    "13912345678",
    "139 1234 5678",
    "0951-5012345",
    "站前街12号",
    "3单元501室",
    "兴民村8号",
    "家庭住址值",
)


@cache
def demo_personal_values() -> tuple[str, ...]:
    """Names, ID numbers and phones the demo's case ledgers carry."""
    found: set[str] = set()
    for path in sorted((PROJECT_ROOT / "data" / "demo").glob("*案件台账.xlsx")):
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        header_at = next(i for i, r in enumerate(rows) if r and "身份证号" in r)
        header = rows[header_at]
        columns = [header.index(h) for h in ("当事人", "身份证号", "联系电话")]
        for row in rows[header_at + 1 :]:
            found.update(str(row[c]) for c in columns if row[c])
    return tuple(sorted(found))


def artefact_text(path: Path) -> str:
    """The text a reader could see in a file: Office files are read inside their zip."""
    if path.suffix.lower() in (".docx", ".xlsx"):
        with zipfile.ZipFile(path) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace")
                for name in archive.namelist()
                if name.endswith((".xml", ".rels"))
            )
    if path.suffix.lower() in (".png", ".duckdb", ".wal", ".tmp", ".key"):
        return ""
    return path.read_bytes().decode("utf-8", "replace")


def leaks(text: str, values: tuple[str, ...]) -> list[str]:
    """Which of the values appear in the text (digits also when split by XML markup)."""
    compact = re.sub(r"<[^>]+>", "", text)
    return [v for v in values if v in text or v in compact]
