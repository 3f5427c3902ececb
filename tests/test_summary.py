"""The genre's rules of the summary writer: rounding, comparison words, document blocks."""

from __future__ import annotations

import pytest

from pipeline.summary import (
    Figure,
    Figures,
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
