"""Untrusted text from ledgers, file names and reference tables never becomes live markup.

Reports and the HTML summary are built from ledgers and reference tables carrying HTML,
script, link, attribute and style payloads, then opened in headless Chromium.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import make_dbt_project
from test_browser import driver  # noqa: F401  (the shared headless Chromium fixture)

from pipeline import report
from pipeline.build import build_and_publish
from pipeline.ingest import ingest
from pipeline.settings import PROJECT_ROOT, Settings
from pipeline.summary import write_summary

IMG = '<img src=x class=xss onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
LINK = '<a href="javascript:window.__xss=3" class=xss>点我</a>'
STYLE = "<style>body{display:none}</style>"
ATTR = '" onmouseover="window.__xss=4" data-xss="'
PAYLOADS = (IMG, SCRIPT, LINK, STYLE, ATTR)


def rewrite(path: Path, change) -> str:
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    for row in rows:
        change(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def hostile_reference() -> dict[str, str]:
    ref = PROJECT_ROOT / "data" / "reference"

    def unit(row):
        if row["unit_code"] == "XHY":
            row["unit_name"] += SCRIPT

    def department(row):
        if row["dept_code"] == "GA":
            row["dept_name"] += IMG

    def item(row):
        if row["item_code"] == "SR01":
            row["item_name"] += LINK
            row["category"] += STYLE
        if row["category_code"] == "SR":
            row["category"] = row["category"].split("<")[0] + STYLE

    def event(row):
        row["label_zh"] += ATTR

    return {
        "units.csv": rewrite(ref / "units.csv", unit),
        "grids.csv": (ref / "grids.csv").read_text(encoding="utf-8"),
        "departments.csv": rewrite(ref / "departments.csv", department),
        "catalogue.csv": rewrite(ref / "catalogue.csv", item),
        "events.csv": rewrite(ref / "events.csv", event),
    }


def hostile_ledgers(folder: Path) -> None:
    folder.mkdir()
    cases = [
        "案件编号,单位,网格,发现日期,事项编码,案由,当事人,处理方式,移交部门,处理结果",
        f'C1,XHY,,2011-08-05,SR01,"{SCRIPT}",张三,移交,公安,已移交',
        "C2,XHY,,2011-08-06,SR01,,,整改通知,,已整改",
        f'C3,"{IMG}",,2011-08-07,SR01,,,劝导教育,,',
        f'C4,XJ,"{ATTR}",2011-08-08,"{LINK}",,,调解,,',
        f'"{STYLE}",ZBB,,2011-08-09,SR02,,,现场纠正,,',
    ]
    (folder / f"案件{IMG}.csv").write_text("\n".join(cases) + "\n", encoding="utf-8")
    outputs = [
        "活动编号,单位,日期,活动名称,产出类型,数量,地点,备注",
        f'O1,XHY,2011-08-05,"{STYLE}",宣传资料,10,"{LINK}","{IMG}"',
        f'O2,XJ,2011-08-06,,"{ATTR}",5,,',
    ]
    (folder / "宣传<svg onload=window.__xss=5 class=xss>.csv").write_text(
        "\n".join(outputs) + "\n", encoding="utf-8"
    )
    patrols = [
        "巡查编号,单位,网格,日期,开始时间,结束时间,巡查人员,发现问题数,当场处理数,备注",
        f'P1,XHY,XHY-01,2011-08-05,08:00,10:00,队员甲,1,1,"{SCRIPT}"',
        f'P2,XHY,"{IMG}",2011-08-06,08:00,10:00,队员甲,1,1,',
    ]
    (folder / "巡查'; drop table raw.files; --.csv").write_text(
        "\n".join(patrols) + "\n", encoding="utf-8"
    )


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("xss")
    mp = pytest.MonkeyPatch()
    mp.setenv("PILOT_SECRET_FILE", str(tmp / "secret.key"))
    root = make_dbt_project(tmp / "project", reference=hostile_reference())
    settings = Settings(
        root=root,
        warehouse=tmp / "wh.duckdb",
        reference_dir=root / "data" / "reference",
        reports_dir=tmp / "reports",
    )
    hostile_ledgers(tmp / "ledgers")
    result = ingest(settings, [tmp / "ledgers"])
    assert [f.status for f in result.files] == ["loaded"] * 3
    quarantined = {f.path.name[:2]: f.total("rows_quarantined") for f in result.files}
    assert quarantined == {"案件": 2, "宣传": 1, "巡查": 1}, quarantined
    build_and_publish(settings)
    site = report.write_report(settings, out_dir=tmp / "site").parent
    summary = write_summary(
        settings,
        date_from="2011-08-01",
        date_to="2011-08-31",
        fmt="html",
        out=tmp / "site" / "summary.html",
    )
    mp.undo()
    return site, summary


def test_payloads_reach_the_pages_as_text(hostile_site):
    site, summary = hostile_site
    html = (site / "quality.html").read_text(encoding="utf-8")
    assert "&lt;img src=x" in html or "\\u003cimg src=x" in html
    for page in [*(site / name for name, _ in report.PAGES), summary]:
        text = page.read_text(encoding="utf-8")
        for payload in PAYLOADS:
            assert payload not in text, (page.name, payload)


@pytest.mark.parametrize("page", [*(name for name, _ in report.PAGES), "summary.html"])
def test_no_payload_becomes_live_in_a_browser(driver, hostile_site, page):  # noqa: F811
    from selenium.webdriver.common.by import By

    site, _ = hostile_site
    driver.get((site / page).as_uri())
    # An attribute payload that broke out would leave its data-xss attribute behind.
    assert driver.execute_script("return window.__xss === undefined")
    assert driver.find_elements(By.CSS_SELECTOR, ".xss, [data-xss], img[src='x']") == []
    assert driver.execute_script(
        "return [...document.querySelectorAll('style')]"
        ".every(s => !s.textContent.includes('body{display:none}'))"
    )
    assert driver.execute_script("return getComputedStyle(document.body).display") != "none"
    body = driver.find_element(By.TAG_NAME, "body").text
    assert body.strip()
    if page == "quality.html":
        assert "onerror" in body  # the clerk sees what they typed, as text
