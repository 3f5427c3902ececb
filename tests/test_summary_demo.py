"""The pilot-year summary of the demo ledgers states the published figures, every one traced."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import PilotError
from pipeline.publish import open_reporting
from pipeline.settings import PROJECT_ROOT, Settings
from pipeline.summary import TEMPLATES_DIR, build_summary, change_direction, write_summary

YEAR = {"date_from": "2011-08-01", "date_to": "2012-07-31"}
# domain.md's published first-year figures, in the genre's form.
PUBLISHED = (
    "下发整改通知书34份",
    "排查调处矛盾纠纷15起",
    "人口计生局4起",
    "发放宣传资料1800余份",
    "悬挂横幅200余条",
    "出黑板报12期",
    "制作展板6块",
    "现场咨询450余人次",
    "拆换牌匾灯箱170余块",
    "修补破损道砖23处",
    "法律知识培训5期",
    "执法人员27名",
    "委托事项共6类33项",
)
DATES = re.compile(r"\d{4}年\d{1,2}月(\d{1,2}日)?")
IMAGES = re.compile(r"!\[[^\]]*\]\(chart:[a-z0-9_]+\)")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
# The first of the next steps, which every summary names.
ALWAYS_NEXT = (
    "继续完善委托执法事项目录和工作制度，理顺综合执法大队与区级部门之间的衔接，巩固和扩大试点成果。"
)


def run_pilot(secret_dir: Path, warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    """`pilot --warehouse WAREHOUSE ARGS...` as a user runs it, its secret kept in secret_dir."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "--warehouse", str(warehouse), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PILOT_SECRET_FILE": str(secret_dir / "secret.key")},
        cwd=PROJECT_ROOT,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_settings(tmp_path_factory) -> Settings:
    tmp = tmp_path_factory.mktemp("summary")
    result = run_pilot(tmp, tmp / "wh.duckdb", "--quiet", "run", "--out", str(tmp / "reports"))
    assert result.returncode == 0, result.stderr
    return Settings(warehouse=tmp / "wh.duckdb", reports_dir=tmp / "reports")


@pytest.fixture(scope="module")
def year(demo_settings):
    return build_summary(demo_settings, **YEAR)


def body_and_note(markdown: str) -> tuple[str, str]:
    body, note = markdown.split("## 数据说明")
    return body, note


def note_rows(note: str) -> list[list[str]]:
    return [
        [c.strip() for c in line.strip("|").split("|")]
        for line in note.splitlines()
        if line.startswith("| ") and not line.startswith("| 正文表述")
    ]


def section(summary, heading: str) -> list[tuple]:
    """The blocks under a heading (h1 or h2), up to the next heading of any level."""
    blocks = summary.blocks
    start = next(i for i, b in enumerate(blocks) if b[0] in ("h1", "h2") and b[1] == heading)
    end = next(
        (i for i in range(start + 1, len(blocks)) if blocks[i][0] in ("title", "h1", "h2")),
        len(blocks),
    )
    return blocks[start + 1 : end]


def test_pilot_year_states_the_published_figures(year):
    body, _ = body_and_note(year.markdown)
    for phrase in PUBLISHED:
        assert phrase in body, phrase
    assert body.startswith(
        "# 西花园路街道办事处、兴泾镇、镇北堡镇社会管理综合执法试点工作经验材料"
        "（2011年8月1日至2012年7月31日）\n"
    )


def test_sections_in_the_genre_order(year):
    headings = [b[1] for b in year.blocks if b[0] == "h1"]
    assert headings == [
        "一、主要做法",
        "二、取得的成效",
        "三、各单位比较",
        "四、存在的问题",
        "五、下一步打算",
        "数据说明",
    ]
    subsections = [b[1] for b in year.blocks if b[0] == "h2"]
    assert subsections[:4] == [
        "（一）整合执法力量，组建综合执法大队",
        "（二）依法委托执法，明确执法事项",
        "（三）划分网格，巡查执法",
        "（四）加强学习培训",
    ]


def test_every_number_in_the_body_is_in_the_data_note_with_its_exact_value(year):
    body, note = body_and_note(year.markdown)
    rows = note_rows(note)
    shown = {row[0]: row for row in rows}
    figures = {f.text("zh"): f for f in year.figures}
    assert set(shown) == set(figures)
    for text, figure in figures.items():
        assert shown[text][1].startswith(figure.exact())
        assert shown[text][2].startswith(figure.model)
        assert shown[text][3] == figure.filter
    numbers_in_note = {NUMBER.findall(text)[0] for text in shown}
    body_numbers = NUMBER.findall(DATES.sub("", IMAGES.sub("", body)))
    assert body_numbers
    for number in body_numbers:
        assert number in numbers_in_note, number
    # Each shown figure is consistent with its exact value.
    for text, row in shown.items():
        exact = float(row[1].split("（")[0])
        number = float(NUMBER.findall(text)[0])
        if text.endswith("%"):
            assert round(exact * 100, 1) == number
        elif "余" in text:
            assert number < exact < number * 1.1
        elif "." not in text:
            assert exact == number


def test_the_data_note_traces_the_published_figures(year):
    _, note = body_and_note(year.markdown)
    rows = {row[0]: row for row in note_rows(note)}
    assert rows["1800余份"][1:] == [
        "1836",
        "reporting.outputs_between",
        "d_from=2011-08-01, d_to=2012-07-31, unit_code='ALL', output_code='LEAFLET'",
        "quantity",
    ]
    assert rows["34份"][2:] == [
        "reporting.unit_metrics_between",
        "d_from=2011-08-01, d_to=2012-07-31, unit_code='ALL'",
        "notices_issued",
    ]
    assert rows["27名"][2] == "reporting.rpt_summary_facts（背景资料）"
    assert "等长的上一时段早于试点开始，没有台账数据，不作比较。" in note
    assert "与本期有关的台账文件9个，被隔离（未通过校验、未计入统计）的行共0行" in note


def test_no_comparison_before_the_pilot_started(year):
    body, _ = body_and_note(year.markdown)
    assert "上一时段" not in body


def test_sentences_follow_the_data_for_a_unit_half_year(demo_settings):
    summary = build_summary(
        demo_settings, unit="XJ", date_from="2012-02-01", date_to="2012-07-31", charts=False
    )
    body, note = body_and_note(summary.markdown)
    assert "发现处理各类问题75件，比上一时段（25件）明显增加" in body
    # Leaflets come in batches (146 against 390 would be z = -15.3 as a count): no verdict.
    assert "发放宣传资料140余份（上一时段390份）" in body
    assert "下发整改通知书7份（上一时段4份）" in body
    assert "展板展出2次，与上一时段持平" in body
    assert "立案处罚0件，比上一时段（3件）明显减少" in body
    assert "修补破损道砖0处（上一时段4处）" in body
    assert "制作展板2块（上一时段没有）" in body
    # Nor is their fall a problem: the one problem is the notices.
    assert section(summary, "三、存在的问题") == [
        (
            "para",
            (
                "一是整改通知落实不够到位。兴泾镇下发整改通知书7份，按期整改5份，"
                "按期整改率71.4%，跟踪督办有待加强。"
            ),
        )
    ]
    assert "各单位比较" not in body
    assert "比较期间为等长的上一时段2011-08-03至2012-01-31" in note
    # No sentence claims a rise that did not happen.
    for current, previous in re.findall(r"(\d+)\D{1,12}，比上一时段（(\d+)\D{1,3}）明显增加", body):
        assert int(current) > int(previous)


def test_a_change_short_of_notable_is_stated_not_judged(demo_settings):
    # 3 -> 9 notices (z = 2.5) is no marked rise, but not "roughly unchanged" either: the text
    # gives the previous count and leaves the judgement to |z| > 3.
    summary = build_summary(
        demo_settings, date_from="2012-01-15", date_to="2012-03-20", charts=False
    )
    _, note = body_and_note(summary.markdown)
    paragraphs = [b[1] for b in summary.blocks if b[0] == "para"]
    assert (
        "发现处理各类问题77件，比上一时段（49件）明显增加，"
        "其中劝导教育、现场纠正58件（上一时段40件），占75.3%。"
        "下发整改通知书9份（上一时段3份），按期整改7份，按期整改率77.8%，"
        "立案处罚2件（上一时段4件），罚款3900余元。"
    ) in paragraphs
    assert "排查调处矛盾纠纷3起（上一时段1起），调解成功2起（上一时段1起）。" in paragraphs
    # Output quantities come in batches: none is judged, not leaflets 350 -> 230, display
    # boards shown 6 -> 0 or consultations 23 -> 60 (|z| of 4.9 and more as counts).
    publicity = (
        "发放宣传资料230份（上一时段350份），悬挂横幅46条（上一时段32条），"
        "张贴标语65条（上一时段80条），出黑板报4期（上一时段1期），"
        "展板展出0次（上一时段6次），现场咨询60人次（上一时段23人次），"
        "举办广场文化活动4场（上一时段1场）。"
    )
    assert section(summary, "（四）宣传发动") == [("para", publicity)]
    assert "基本持平" not in summary.markdown
    assert (
        "比较期间为等长的上一时段2011-11-10至2012-01-14；变化是否明显按泊松比较判断："
        "z = 2(√本期 − √上期)，|z| > 3 的表述为明显增加或减少；"
        "其余变化不作判断，只在括号中注明上一时段的数字。\n"
    ) in note


def test_english_states_a_change_short_of_notable_without_judging_it(demo_settings):
    summary = build_summary(
        demo_settings, date_from="2012-01-15", date_to="2012-03-20", lang="en", charts=False
    )
    assert (
        "Cases found: 77, a marked rise on the previous period (49); "
        "Corrected on the spot by persuasion: 58 (previous period 40), 75.3% of the cases found.\n"
        "Rectification notices issued: 9 (previous period 3); "
        "Complied with on time: 7, a compliance rate of 77.8%; Penalties: 2 (previous period 4); "
        "Fines: over 3,900 yuan.\n"
    ) in summary.markdown
    assert "about the same" not in summary.markdown
    assert (
        "a change is called marked when |z| > 3, z = 2(sqrt(current) - sqrt(previous)); "
        "other changes are not judged, the previous period's count is given in brackets.\n"
    ) in summary.markdown


def test_a_fall_short_of_notable_is_no_problem(demo_settings):
    # ZBB found 1 case on 4 March 2012 and none on the 5th: z = -2, no evidence that work fell.
    summary = build_summary(
        demo_settings, unit="ZBB", date_from="2012-03-05", date_to="2012-03-05", charts=False
    )
    assert section(summary, "三、存在的问题") == [("para", "从台账数据看，本期没有发现突出问题。")]
    assert section(summary, "四、下一步打算") == [("para", ALWAYS_NEXT)]


def test_a_notable_fall_to_zero_is_a_problem(demo_settings):
    # ZBB issued 4 notices in February 2012 and none in March: z = -4.
    summary = build_summary(
        demo_settings, unit="ZBB", date_from="2012-03-01", date_to="2012-03-31", charts=False
    )
    assert section(summary, "三、存在的问题") == [
        (
            "para",
            "一是部分工作量明显下降。下发整改通知书0份，比上一时段（4份）明显减少，需分析原因。",
        )
    ]
    assert section(summary, "四、下一步打算")[-1] == (
        "para",
        "对工作量明显下降的方面逐项分析原因，有针对性地加强工作。",
    )
    english = build_summary(
        demo_settings,
        unit="ZBB",
        date_from="2012-03-01",
        date_to="2012-03-31",
        lang="en",
        charts=False,
    )
    assert section(english, "3. Problems") == [
        (
            "para",
            (
                "First, some work fell markedly: Rectification notices issued: 0, against 4 in "
                "the previous period. The causes need to be analysed."
            ),
        )
    ]


def test_a_section_with_nothing_to_report_says_so(demo_settings):
    # ZBB on 5 March 2012: no case, notice or penalty; the day before, one case.
    summary = build_summary(
        demo_settings, unit="ZBB", date_from="2012-03-05", date_to="2012-03-05", charts=False
    )
    assert section(summary, "（一）执法办案") == [
        ("para", "本期案件台账中没有案件记录（上一时段1件）。")
    ]
    # No heading is left without text: a subsection is followed by text, a section by either.
    kinds = [b[0] for b in summary.blocks] + ["end"]
    for i, block in enumerate(summary.blocks):
        empty = ("h1", "h2", "end") if block[0] == "h2" else ("h1", "end")
        assert block[0] not in ("h1", "h2") or kinds[i + 1] not in empty, block[1]


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        (
            "2012-02-01",
            "2012-07-31",
            {
                "cases_found": "up",  # 75 against 25: z = 7.3
                "leaflet": "flat",  # 146 against 390: a batch quantity, never judged
                "notices_issued": "flat",  # 7 against 4: z = 1.3
                "banner": "flat",  # 39 against 23: an output quantity, never judged
                "board_show": "same",  # 2 against 2
                "penalties": "zero",  # 0 against 3
                "board_made": "new",  # 2 against 0: an output quantity, never judged
                "blackboard": "new",  # 3 against 0: an output quantity, never judged
            },
        ),
        ("2012-05-01", "2012-07-31", {"penalties": "absent"}),  # 0 against 0
    ],
)
def test_change_direction_follows_the_warehouses_poisson_verdict(
    demo_settings, date_from, date_to, expected
):
    con = open_reporting(demo_settings)
    try:
        cursor = con.execute(
            "select metric, current_value, previous_value, z_score, is_notable "
            "from reporting.changes_between(?, ?) where unit_code = ?",
            [date_from, date_to, "XJ"],
        )
        names = [d[0] for d in cursor.description]
        rows = {r[0]: dict(zip(names, r)) for r in cursor.fetchall()}
    finally:
        con.close()
    assert {metric: change_direction(rows[metric]) for metric in expected} == expected


def test_the_data_note_counts_files_and_quarantined_rows_from_the_reporting_model(
    demo_settings,
):
    summary = build_summary(
        demo_settings, unit="XJ", date_from="2012-02-01", date_to="2012-07-31", charts=False
    )
    _, note = body_and_note(summary.markdown)
    con = open_reporting(demo_settings)
    try:
        files, quarantined = con.execute(
            "select files, rows_quarantined from reporting.summary_quality_between(?, ?) "
            "where unit_code = ?",
            ["2012-02-01", "2012-07-31", "XJ"],
        ).fetchone()
    finally:
        con.close()
    assert (
        f"与本期有关的台账文件{files}个，被隔离（未通过校验、未计入统计）的行共{quarantined}行"
        "（reporting.summary_quality_between）" in note
    )
    listed = [line for line in note.splitlines() if line.startswith("- ") and "：读取" in line]
    # XJ's three ledgers, none of another unit's.
    assert files == 3
    assert sorted(line.split("：")[0] for line in listed) == [
        "- XJ_宣传及专项活动台账.xlsx",
        "- XJ_巡查日志.xlsx",
        "- XJ_案件台账.xlsx",
    ]


def test_docx_has_headings_centred_title_and_charts(demo_settings, tmp_path):
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    path = write_summary(demo_settings, fmt="docx", out=tmp_path / "s.docx", **YEAR)
    doc = Document(str(path))
    title = doc.paragraphs[0]
    assert title.style.name == "Title" and title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    h2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert h1[0] == "一、主要做法" and h1[-1] == "数据说明"
    assert "（一）整合执法力量，组建综合执法大队" in h2
    body = [p for p in doc.paragraphs if p.style.name == "Normal" and "34份" in p.text]
    assert body and body[0].paragraph_format.first_line_indent is not None
    assert len(doc.inline_shapes) == 3
    assert len(doc.tables) == 1


def test_html_is_escaped_and_self_contained(demo_settings, tmp_path):
    template = tmp_path / "tpl"
    template.mkdir()
    source = (PROJECT_ROOT / "pipeline" / "summary_templates" / "zh" / "document.md.j2").read_text(
        encoding="utf-8"
    )
    (template / "document.md.j2").write_text(
        source.replace("工作经验材料（", "<script>alert(1)</script>工作经验材料（"),
        encoding="utf-8",
    )
    path = write_summary(
        demo_settings, fmt="html", out=tmp_path / "s.html", template_dir=template, **YEAR
    )
    html = path.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('src="data:image/png;base64,') == 3
    assert "下发整改通知书34份" in html


def test_markdown_writes_its_charts_beside_it(demo_settings, tmp_path):
    path = write_summary(demo_settings, fmt="md", out=tmp_path / "s.md", **YEAR)
    text = path.read_text(encoding="utf-8")
    for key in ("monthly", "referrals", "per10k"):
        png = tmp_path / "s_files" / f"{key}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"(s_files/{key}.png)" in text


def test_english_summary(demo_settings):
    summary = build_summary(demo_settings, lang="en", charts=False, **YEAR)
    assert summary.title.startswith("Comprehensive law-enforcement pilot in Xihuayuan Road")
    assert "Rectification notices issued: 34" in summary.markdown
    assert "4 to the population and family planning bureau" in summary.markdown
    assert "over 1,800" in summary.markdown


SCOPES = [
    {"unit": None, "date_from": "2011-08-01", "date_to": "2012-07-31"},
    {"unit": None, "date_from": "2012-01-15", "date_to": "2012-03-20"},
    {"unit": "XJ", "date_from": "2012-02-01", "date_to": "2012-07-31"},
    {"unit": "ZBB", "date_from": "2012-03-01", "date_to": "2012-03-31"},
    {"unit": "ZBB", "date_from": "2012-03-05", "date_to": "2012-03-05"},
]
EN_DATES = re.compile(
    r"\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December) \d{4}|(?:January|February|March|April|May|June|July|August|"
    r"September|October|November|December) \d{4}"
)
EN_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: f"{s['unit'] or 'ALL'}-{s['date_from']}")
def test_the_english_summary_states_the_chinese_ones_figures(demo_settings, scope):
    zh = build_summary(demo_settings, charts=False, **scope)
    en = build_summary(demo_settings, lang="en", charts=False, **scope)
    # The same figures, listed in the same data note: patrol hours, shares, fines and all.
    assert [f.key for f in en.figures] == [f.key for f in zh.figures]
    en_body, en_note = en.markdown.split("## Data note")
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in en_note.splitlines()
        if line.startswith("| ") and not line.startswith("| in the text")
    ]

    # Exact value, model, filter and column alike; only the notes in brackets are translated.
    def traced(row: list[str]) -> list[str]:
        return [re.split(r"[ （]", cell)[0] for cell in row[1:3]] + row[3:]

    assert [traced(row) for row in rows] == [
        traced(row) for row in note_rows(body_and_note(zh.markdown)[1])
    ]
    # Every number the English body prints is one of them (headings and dates aside).
    numbers_in_note = {EN_NUMBER.findall(row[0])[0] for row in rows}
    lines = [line for line in en_body.splitlines() if not line.startswith("#")]
    body = EN_DATES.sub("", IMAGES.sub("", "\n".join(lines))).replace("10,000 residents", "")
    numbers = EN_NUMBER.findall(body)
    assert numbers
    for number in numbers:
        assert number in numbers_in_note, number


def test_unknown_unit_and_missing_template_are_clear_errors(demo_settings, tmp_path):
    with pytest.raises(PilotError) as err:
        build_summary(demo_settings, unit="XX", charts=False)
    assert err.value.message == "未知单位 / unknown unit: XX"
    assert err.value.hint == "use one of XHY, XJ, ZBB, ALL"
    with pytest.raises(PilotError) as err:
        build_summary(demo_settings, template_dir=tmp_path / "none", charts=False)
    assert err.value.message == f"模板文件夹不存在 / template folder not found: {tmp_path / 'none'}"


def test_a_template_folder_without_templates_is_an_error(demo_settings, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("", encoding="utf-8")
    with pytest.raises(PilotError) as err:
        build_summary(demo_settings, template_dir=empty, charts=False)
    assert err.value.message == (
        f"模板文件夹中没有模板文件 / no summary template in {empty}: expected document.md.j2, "
        f"phrases.j2, page.html.j2 there or in {empty / 'zh'}"
    )
    assert err.value.hint == (
        f"copy the files of {TEMPLATES_DIR / 'zh'} into {empty} and edit them"
    )
    # Only the Chinese set copied: --lang en names the folder that is there.
    only_zh = tmp_path / "only_zh"
    shutil.copytree(TEMPLATES_DIR / "zh", only_zh / "zh")
    with pytest.raises(PilotError) as err:
        build_summary(demo_settings, template_dir=only_zh, lang="en", charts=False)
    assert err.value.message == (
        f"模板文件夹中没有模板文件 / no summary template in {only_zh}: expected document.md.j2, "
        f"phrases.j2, page.html.j2 there or in {only_zh / 'en'}"
    )
    assert err.value.hint == (
        f"{only_zh / 'zh'} holds templates for --lang zh; for --lang en copy "
        f"{TEMPLATES_DIR / 'en'} to {only_zh / 'en'}"
    )


def test_a_template_folder_may_hold_one_folder_per_language(demo_settings, tmp_path):
    # A copy of pipeline/summary_templates as it is: zh/ and en/, picked by --lang.
    mine = tmp_path / "mine"
    shutil.copytree(TEMPLATES_DIR, mine)
    for lang, old, new in (
        ("zh", "工作经验材料（", "工作经验材料（本单位修改稿，"),
        ("en", "work-experience summary (", "work-experience summary (our draft, "),
    ):
        document = mine / lang / "document.md.j2"
        text = document.read_text(encoding="utf-8")
        document.write_text(text.replace(old, new), encoding="utf-8")
    zh = build_summary(demo_settings, template_dir=mine, charts=False, **YEAR)
    assert zh.title.endswith("工作经验材料（本单位修改稿，2011年8月1日至2012年7月31日）")
    en = build_summary(demo_settings, template_dir=mine, lang="en", charts=False, **YEAR)
    assert en.title.endswith("work-experience summary (our draft, 1 August 2011 to 31 July 2012)")


def test_a_mistake_in_ones_own_template_names_the_template_and_line(demo_settings, tmp_path):
    template = tmp_path / "tpl"
    template.mkdir()
    document = template / "document.md.j2"
    document.write_text("# 标题\n\n{{ 1 + }}\n", encoding="utf-8")
    with pytest.raises(PilotError) as err:
        build_summary(demo_settings, template_dir=template, charts=False)
    assert err.value.message == (
        f"模板有误 / error in template {document}, line 3: unexpected 'end of print statement'"
    )
    assert "--template" in err.value.hint
    document.write_text("# 标题\n\n{{ no_such_figure }}\n", encoding="utf-8")
    with pytest.raises(PilotError) as err:
        build_summary(demo_settings, template_dir=template, charts=False)
    assert err.value.message == (
        f"模板有误 / error in template {document}: 'no_such_figure' is undefined"
    )


def test_out_may_be_a_folder_but_not_a_file_of_another_format(demo_settings, tmp_path):
    path = write_summary(demo_settings, fmt="md", out=tmp_path, **YEAR)
    assert path == tmp_path / "summary_ALL_20110801_20120731.md"
    assert path.read_text(encoding="utf-8").startswith("#")
    with pytest.raises(PilotError) as err:
        write_summary(demo_settings, fmt="docx", out=tmp_path / "s.md", **YEAR)
    assert err.value.message == "文件扩展名与格式不符 / s.md is not a .docx file (--format docx)"
    assert not (tmp_path / "s.md").exists()


def test_cli_summary(demo_settings, tmp_path):
    out = tmp_path / "s.md"
    result = run_pilot(
        tmp_path,
        demo_settings.warehouse,
        *("summary", "--from", "2011-08-01", "--to", "2012-07-31", "--format", "md"),
        *("--out", str(out)),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"工作经验材料 / summary: {out}"
    assert "下发整改通知书34份" in out.read_text(encoding="utf-8")
    # Charts of a Chinese summary fall back to English labels only where no Chinese font is
    # installed, and the user is told.
    from pipeline.summary import cjk_font

    told = "提示 / note: 本机没有中文字体，图中的文字改用英文" in result.stderr
    assert told == (cjk_font() is None)
    # Without --format, the file's name says which.
    named = tmp_path / "经验材料.html"
    result = run_pilot(tmp_path, demo_settings.warehouse, "summary", "--out", str(named))
    assert result.returncode == 0, result.stderr
    assert named.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html>")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_docx_converts_to_pdf_with_libreoffice(demo_settings, tmp_path):
    path = write_summary(demo_settings, fmt="docx", out=tmp_path / "s.docx", **YEAR)
    result = subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo'}"]
        + ["--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    pdf = tmp_path / "s.pdf"
    assert pdf.exists(), result.stderr
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_charts_fall_back_to_ascii_labels_without_a_cjk_font(demo_settings, monkeypatch):
    import pipeline.summary as summary_module

    monkeypatch.setattr(summary_module, "cjk_font", lambda: None)
    summary = build_summary(demo_settings, **YEAR)
    assert set(summary.charts) == {"monthly", "referrals", "per10k"}
    assert all(not chart.cjk and chart.png[:4] == b"\x89PNG" for chart in summary.charts.values())
