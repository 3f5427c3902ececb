"""The genre's rules of the summary writer: rounding, comparison words, blocks, the files listed."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline import i18n
from pipeline.settings import PROJECT_ROOT
from pipeline.summary import (
    COUNTS,
    Change,
    Figure,
    Figures,
    _environment,
    build_summary,
    change_direction,
    genre_count,
    genre_count_en,
    parse_blocks,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1836, "1800余"),
        (1800, "1800"),
        (99, "99"),
        (100, "100"),
        (105, "100余"),
        (23, "23"),
        (0, "0"),
        (204, "200余"),
        (453, "450余"),
        (173, "170余"),
        (12345, "12000余"),
        (1836.0, "1800余"),
    ],
)
def test_counts_of_a_hundred_or_more_are_rounded_down_to_two_digits_with_yu(value, text):
    assert genre_count(value) == text


def test_english_counts_say_over_when_rounded():
    assert [genre_count_en(v) for v in (34, 1800, 1836, 105)] == [
        "34",
        "1,800",
        "over 1,800",
        "over 100",
    ]


def change(current, previous, z_score, is_notable):
    """A row of reporting.changes_between as the summary reads it."""
    return {
        "current_value": current,
        "previous_value": previous,
        "z_score": z_score,
        "is_notable": is_notable,
    }


# Whether a change is notable is dbt's verdict (is_notable); these rows hand it over as given.
# test_summary_demo.py checks the verdicts themselves on rows a warehouse computed.
@pytest.mark.parametrize(
    ("row", "direction"),
    [
        (change(75, 25, 7.3, True), "up"),
        (change(146, 390, -15.3, True), "down"),
        (change(34, 20, 2.7, False), "flat"),
        (change(20, 34, -2.7, False), "flat"),
        (change(5, 5, 0.0, False), "same"),
        (change(0, 3, -3.5, True), "zero"),
        (change(0, 2, -2.8, False), "zero"),
        (change(0, 0, 0.0, False), "absent"),
        (change(2, 0, 2.8, False), "new"),
        (change(3, 0, 3.5, True), "up"),
        (None, "none"),
    ],
)
def test_change_direction_words_dbts_verdict(row, direction):
    assert change_direction(row) == direction


def test_figure_text_and_exact_value():
    leaflets = Figure(
        "ALL.leaflet", 1836.0, "reporting.outputs_between", "f", "quantity", measure="份"
    )
    assert leaflets.text("zh") == "1800余份"
    assert leaflets.exact() == "1836"
    assert leaflets.text("en") == "over 1,800"
    rate = Figure("ALL.r", 0.7352941, "m", "f", "notice_compliance_rate", "rate")
    assert rate.text("zh") == "73.5%"
    approx = Figure("ALL.banner", 20, "m", "f", "quantity", measure="条", approximate=True)
    assert approx.text("zh") == "约20条"


def test_figures_lists_only_what_the_body_printed_in_order():
    figs = Figures("zh")
    for key, value in (("a", 1), ("b", 2), ("c", 3)):
        figs.add(Figure(key, value, "m", "f", "col", measure="件"))
    assert figs.value("b") == 2 and figs.used() == []
    assert figs.n("c") == "3件" and figs.n("a") == "1件" and figs.n("c") == "3件"
    assert [f.key for f in figs.used()] == ["c", "a"]


def test_parse_blocks():
    text = (
        "# 标题\n\n## 一、做法\n\n### （一）队伍\n\n第一句。\n第二句。\n\n"
        "![图一 说明](chart:monthly)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- 文件：1行\n"
    )
    assert parse_blocks(text) == [
        ("title", "标题"),
        ("h1", "一、做法"),
        ("h2", "（一）队伍"),
        ("para", "第一句。第二句。"),
        ("image", "图一 说明", "monthly"),
        ("table", ["a", "b"], [["1", "2"]]),
        ("bullet", "文件：1行"),
    ]


# Every count the body states, with its measure and how it reads when it fell to zero (2 -> 0,
# z = -2.8, not notable) in Chinese and English.
ZERO_PHRASES = {
    "cases_found": (
        "件",
        "发现处理各类问题0件（上一时段2件）",
        "Cases found: 0 (previous period 2)",
    ),
    "corrected_on_spot": (
        "件",
        "劝导教育、现场纠正0件（上一时段2件）",
        "Corrected on the spot: 0 (previous period 2)",
    ),
    "notices_issued": (
        "份",
        "下发整改通知书0份（上一时段2份）",
        "Rectification notices issued: 0 (previous period 2)",
    ),
    "notices_complied_on_time": (
        "份",
        "按期整改0份（上一时段2份）",
        "Notices complied with on time: 0 (previous period 2)",
    ),
    "penalties": ("件", "立案处罚0件（上一时段2件）", "Penalties: 0 (previous period 2)"),
    "referrals_made": (
        "起",
        "移交有关部门处理0起（上一时段2起）",
        "Referrals to departments: 0 (previous period 2)",
    ),
    "disputes_found": (
        "起",
        "排查矛盾纠纷0起（上一时段2起）",
        "Disputes found: 0 (previous period 2)",
    ),
    "disputes_mediated": (
        "起",
        "调处矛盾纠纷0起（上一时段2起）",
        "Disputes mediated: 0 (previous period 2)",
    ),
    "disputes_resolved": (
        "起",
        "调解成功0起（上一时段2起）",
        "Disputes resolved: 0 (previous period 2)",
    ),
    "patrols": ("次", "开展巡查0次（上一时段2次）", "Patrols: 0 (previous period 2)"),
    "issues_found": (
        "个",
        "巡查发现问题0个（上一时段2个）",
        "Issues found on patrol: 0 (previous period 2)",
    ),
    "leaflet": (
        "份",
        "发放宣传资料0份（上一时段2份）",
        "Publicity materials handed out: 0 (previous period 2)",
    ),
    "banner": ("条", "悬挂横幅0条（上一时段2条）", "Banners: 0 (previous period 2)"),
    "blackboard": (
        "期",
        "出黑板报0期（上一时段2期）",
        "Blackboard issues: 0 (previous period 2)",
    ),
    "board_made": (
        "块",
        "制作展板0块（上一时段2块）",
        "Display boards made: 0 (previous period 2)",
    ),
    "board_show": (
        "次",
        "展板展出0次（上一时段2次）",
        "Display board showings: 0 (previous period 2)",
    ),
    "consult": (
        "人次",
        "现场咨询0人次（上一时段2人次）",
        "On-site consultations: 0 (previous period 2)",
    ),
    "slogan": ("条", "张贴标语0条（上一时段2条）", "Slogans: 0 (previous period 2)"),
    "event": (
        "场",
        "举办广场文化活动0场（上一时段2场）",
        "Square cultural events: 0 (previous period 2)",
    ),
    "signboard": (
        "块",
        "拆换牌匾灯箱0块（上一时段2块）",
        "Signboards and light boxes removed or replaced: 0 (previous period 2)",
    ),
    "paving": (
        "处",
        "修补破损道砖0处（上一时段2处）",
        "Broken paving repaired: 0 (previous period 2)",
    ),
    "training": (
        "期",
        "组织法律知识培训0期（上一时段2期）",
        "Legal training sessions: 0 (previous period 2)",
    ),
}


def phrases(lang: str, metric: str, measure: str, previous: int, notable: bool):
    """The phrase templates of `lang`, for a unit whose `metric` fell from `previous` to 0."""
    figs = Figures(lang)
    figs.add(Figure(f"XJ.{metric}", 0, "m", "f", "c", measure=measure))
    figs.add(Figure(f"prev.XJ.{metric}", previous, "m", "f", "c", measure=measure))
    changes = {metric: Change(metric, "zero", f"XJ.{metric}", f"prev.XJ.{metric}", notable)}
    context = {
        "F": figs,
        "changes": changes,
        "scope": "XJ",
        "label": lambda m: i18n.metric_label(m, lang),
    }
    return _environment(lang, None).get_template("phrases.j2").make_module(context), figs


def test_the_zero_phrase_covers_every_count_and_output_type():
    outputs = (PROJECT_ROOT / "data" / "reference" / "output_types.csv").read_text("utf-8")
    codes = {line.split(",")[0].lower() for line in outputs.splitlines()[1:] if line}
    assert set(ZERO_PHRASES) == {*COUNTS, *codes}


@pytest.mark.parametrize("metric", sorted(ZERO_PHRASES))
def test_a_count_that_fell_to_zero_reads_as_a_sentence(metric):
    measure, zh, en = ZERO_PHRASES[metric]
    say, figs = phrases("zh", metric, measure, 2, notable=False)
    assert str(say.stat(metric)) == zh
    # Both numbers are listed in the data note.
    assert [f.key for f in figs.used()] == [f"XJ.{metric}", f"prev.XJ.{metric}"]
    say, figs = phrases("en", metric, measure, 2, notable=False)
    assert str(say.stat(metric)) == en
    assert [f.key for f in figs.used()] == [f"XJ.{metric}", f"prev.XJ.{metric}"]


def test_a_notable_fall_to_zero_is_called_marked():
    say, _ = phrases("zh", "notices_issued", "份", 16, notable=True)
    assert str(say.stat("notices_issued")) == "下发整改通知书0份，比上一时段（16份）明显减少"
    say, _ = phrases("en", "notices_issued", "份", 16, notable=True)
    assert str(say.stat("notices_issued")) == (
        "Rectification notices issued: 0, a marked fall on the previous period (16)"
    )


# Summaries of the warehouse conftest builds from hand-written ledgers. Its 巡查日志.xlsx and
# 宣传台账.xlsx hold rows of XHY and XJ; each unit has its own case ledger; ZBB has no file.
def file_lines(markdown: str) -> list[str]:
    """The data note's list of ledger files, one line each."""
    return [line for line in markdown.splitlines() if line.startswith("- ")]


def test_a_one_unit_summary_lists_only_that_units_files_and_counts(built_settings):
    xj = build_summary(built_settings, unit="XJ", charts=False)
    assert file_lines(xj.markdown) == [
        "- 兴泾案件台账.csv：读取4行，入库4行，隔离0行，跳过0行",
        "- 宣传台账.xlsx：读取6行，入库6行（其中本单位2行），隔离0行，跳过0行",
        "- 巡查日志.xlsx：读取6行，入库6行（其中本单位2行），隔离0行，跳过0行",
    ]
    assert "与本期有关的台账文件3个" in xj.markdown
    # In October XJ's patrols file holds none of its rows (XHY patrolled on 31 October).
    october = build_summary(
        built_settings, unit="XJ", date_from="2011-10-01", date_to="2011-10-31", charts=False
    )
    assert [line.split("：")[0] for line in file_lines(october.markdown)] == [
        "- 兴泾案件台账.csv",
        "- 宣传台账.xlsx",
    ]
    assert "与本期有关的台账文件2个" in october.markdown
    english = build_summary(built_settings, unit="XJ", lang="en", charts=False)
    assert file_lines(english.markdown)[1] == (
        "- 宣传台账.xlsx: 6 read, 6 loaded (2 of them this unit's), 0 quarantined, 0 skipped"
    )
    zbb = build_summary(built_settings, unit="ZBB", charts=False)
    assert file_lines(zbb.markdown) == []
    assert "与本期有关的台账文件0个" in zbb.markdown
    # The whole pilot lists every loaded file, with no unit's share.
    pilot = build_summary(built_settings, charts=False)
    assert [line.split("：")[0] for line in file_lines(pilot.markdown)] == [
        "- 兴泾案件台账.csv",
        "- 西花园案件台账.xlsx",
        "- 宣传台账.xlsx",
        "- 巡查日志.xlsx",
    ]
    assert "本单位" not in pilot.markdown


@pytest.mark.parametrize(
    ("lang", "title", "note"),
    [
        (
            "zh",
            "社会管理综合执法试点工作经验材料（2011年8月1日至2011年9月30日）",
            (
                "统计期间为2011-08-01至2011-09-30。所选起始日期2011-06-01早于试点开始日期，"
                "台账自试点开始之日（2011-08-01）起建立，故统计期间自该日起算。"
            ),
        ),
        (
            "en",
            "work-experience summary (1 August 2011 to 30 September 2011)",
            (
                "Period: 2011-08-01 to 2011-09-30. The start asked for, 2011-06-01, lies before "
                "the pilot began; the ledgers begin at its start, 2011-08-01, so the period is "
                "counted from that day."
            ),
        ),
    ],
)
def test_a_range_asked_to_begin_before_the_pilot_begins_at_its_start(
    built_settings, lang, title, note
):
    summary = build_summary(
        built_settings, date_from="2011-06-01", date_to="2011-09-30", lang=lang, charts=False
    )
    assert summary.title.endswith(title)
    assert any(note in b[1] for b in summary.blocks if b[0] == "para")
    assert "2011年6月1日" not in summary.markdown and "June 2011" not in summary.markdown
    assert summary.meta["d_from"] == date(2011, 8, 1)
    # Every figure is traced to the range it was counted over.
    assert all("d_from=2011-06-01" not in f.filter for f in summary.figures)
    # A range inside the pilot gets no such note.
    inside = build_summary(
        built_settings, date_from="2011-08-01", date_to="2011-09-30", lang=lang, charts=False
    )
    assert inside.title == summary.title
    assert not any(note in b[1] for b in inside.blocks if b[0] == "para")
    assert "2011-06-01" not in inside.markdown
