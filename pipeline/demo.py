"""Synthetic demo ledgers for the first pilot year, written as the brigades' clerks keep them."""

from __future__ import annotations

import calendar
import csv
import io
import random
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pipeline.contract import CASES, OUTPUTS, PATROLS, Ledger
from pipeline.errors import PilotError
from pipeline.settings import Settings

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"

UNITS = ("XHY", "XJ", "ZBB")

# Fixed so that regenerating the demo gives byte-identical files (no git diff).
_FIXED_TIMESTAMP = datetime(2012, 8, 1, 9, 0, 0)
_ZIP_TIMESTAMP = (2012, 8, 1, 9, 0, 0)
_FIXED_W3CDTF = b"2012-08-01T09:00:00Z"
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")

# The pilot ramped up over its first year; its sixth month (January 2012, from a start in
# August 2011) dips for the Spring Festival (23 Jan 2012).
MONTH_WEIGHTS = (0.45, 0.6, 0.7, 0.8, 0.75, 0.55, 0.9, 1.0, 1.1, 1.15, 1.2, 1.2)

# Output quantities per unit. Their sums over the units are the published figures
# (domain.md): 1836 leaflets, 204 banners, 12 blackboards, 6 boards made, 14 shows,
# 453 consultations, 173 signboards, 23 paving repairs, 5 training sessions.
OUTPUT_TARGETS: dict[str, dict[str, int]] = {
    "XHY": {
        "LEAFLET": 820,
        "BANNER": 86,
        "BLACKBOARD": 6,
        "BOARD_MADE": 2,
        "BOARD_SHOW": 6,
        "CONSULT": 205,
        "SIGNBOARD": 121,
        "PAVING": 17,
        "TRAINING": 2,
    },
    "XJ": {
        "LEAFLET": 536,
        "BANNER": 62,
        "BLACKBOARD": 3,
        "BOARD_MADE": 2,
        "BOARD_SHOW": 4,
        "CONSULT": 128,
        "SIGNBOARD": 30,
        "PAVING": 4,
        "TRAINING": 2,
    },
    "ZBB": {
        "LEAFLET": 480,
        "BANNER": 56,
        "BLACKBOARD": 3,
        "BOARD_MADE": 2,
        "BOARD_SHOW": 4,
        "CONSULT": 120,
        "SIGNBOARD": 22,
        "PAVING": 2,
        "TRAINING": 1,
    },
}
# Row sizes clerks record for one activity of each type.
OUTPUT_CHUNKS: dict[str, tuple[int, ...]] = {
    "LEAFLET": (50, 80, 100, 100, 120, 150, 200),
    "BANNER": (2, 3, 4, 5, 6, 8, 10),
    "BLACKBOARD": (1,),
    "BOARD_MADE": (1, 2),
    "BOARD_SHOW": (1, 2),
    "CONSULT": (15, 20, 25, 30, 40, 50),
    "SIGNBOARD": (3, 4, 5, 6, 8, 10, 12, 15),
    "PAVING": (1, 2, 3, 4),
    "TRAINING": (1,),
}
# Types with no published figure: (rows per unit, quantity choices).
FREE_OUTPUTS: dict[str, dict[str, tuple[int, tuple[int, ...]]]] = {
    "XHY": {"SLOGAN": (14, (5, 10, 15, 20)), "EVENT": (10, (1,))},
    "XJ": {"SLOGAN": (10, (5, 10, 20, 30)), "EVENT": (4, (1,))},
    "ZBB": {"SLOGAN": (9, (5, 10, 20, 30)), "EVENT": (5, (1,))},
}
CAMPAIGNS: dict[str, tuple[str, ...]] = {
    "LEAFLET": (
        "综合执法宣传周",
        "整脏治乱",
        "法制宣传月",
        "计划生育政策宣传",
        "殡葬改革宣传",
        "食品安全宣传",
    ),
    "BANNER": ("综合执法宣传周", "整脏治乱", "创建文明城市", "计划生育政策宣传"),
    "BLACKBOARD": ("综合执法宣传",),
    "BOARD_MADE": ("综合执法成果展",),
    "BOARD_SHOW": ("综合执法成果展", "法制宣传进社区"),
    "CONSULT": ("现场咨询活动", "12·4法制宣传日", "法制宣传进社区"),
    "SIGNBOARD": ("牌匾灯箱专项整治",),
    "PAVING": ("背街小巷整治",),
    "TRAINING": ("执法人员法律知识培训",),
    "SLOGAN": ("整脏治乱", "综合执法宣传周", "殡葬改革宣传"),
    "EVENT": ("周末社区欢乐大舞台", "广场文化活动"),
}


@dataclass(frozen=True)
class UnitProfile:
    """What a brigade's year looks like: how many cases and patrols, which items, which fixed cases."""

    title_name: str
    officer_prefix: str
    cases: int
    patrols: int
    notices: int
    date_text_share: float
    grid_weights: tuple[float, ...]
    items: dict[str, int]  # item -> weight for cases settled by persuasion or on the spot
    notice_items: tuple[str, ...]
    penalties: tuple[tuple[str, int, int], ...]  # item, lowest and highest fine
    referrals: tuple[tuple[str, str], ...]  # item, receiving department as the clerk writes it
    js_referrals: tuple[str, ...]  # how the clerk writes the family-planning bureau, one per case
    disputes: tuple[tuple[str, str], ...]  # item, outcome


PROFILES: dict[str, UnitProfile] = {
    "XHY": UnitProfile(
        title_name="西花园路街道综合执法大队",
        officer_prefix="西花园队员",
        cases=170,
        patrols=400,
        notices=14,
        date_text_share=0.08,
        grid_weights=(3, 2.5, 1.5, 1.5, 1, 2, 1, 1.5),
        items={
            "SR01": 30,
            "SR02": 8,
            "SR03": 8,
            "SR04": 6,
            "SR05": 6,
            "SR07": 10,
            "SR08": 2,
            "WS03": 5,
            "WS05": 2,
            "ZA01": 4,
            "ZA02": 5,
            "ZA03": 3,
            "ZA05": 6,
            "JS04": 4,
            "JS05": 1,
            "GT02": 2,
        },
        notice_items=("SR02", "SR07", "SR07", "SR05", "WS03", "WS04", "ZA01", "SR03"),
        penalties=(
            ("SR01", 50, 200),
            ("SR01", 50, 200),
            ("SR07", 200, 500),
            ("WS01", 500, 2000),
            ("SR05", 50, 200),
        ),
        referrals=(
            ("ZA05", "公安分局"),
            ("ZA01", "派出所"),
            ("ZA03", "公安分局"),
            ("WS06", "卫生局"),
        ),
        js_referrals=("人口计生局",),
        disputes=(
            ("JF01", "调解成功"),
            ("JF01", "调解成功"),
            ("JF03", "调解成功"),
            ("JF03", "调解不成"),
            ("JF04", "调解成功"),
        ),
    ),
    "XJ": UnitProfile(
        title_name="兴泾镇综合执法大队",
        officer_prefix="兴泾队员",
        cases=100,
        patrols=310,
        notices=11,
        date_text_share=0.3,
        grid_weights=(2, 1.5, 1.5, 1, 1.5, 1),
        items={
            "GT01": 6,
            "GT03": 4,
            "GT04": 12,
            "GT05": 8,
            "SR02": 5,
            "SR05": 8,
            "SR01": 4,
            "JS04": 3,
            "MZ01": 4,
            "MZ02": 5,
            "MZ03": 1,
            "ZA02": 3,
            "ZA04": 2,
            "WS03": 2,
        },
        notice_items=("GT01", "GT03", "GT04", "GT04", "SR02", "SR05", "MZ02"),
        penalties=(("GT04", 1000, 5000), ("SR05", 100, 500), ("WS03", 200, 1000)),
        referrals=(("GT05", "国土资源分局"), ("ZA02", "派出所"), ("MZ04", "民政局")),
        js_referrals=("人口计生局", "计生局"),
        disputes=(
            ("JF05", "调解成功"),
            ("JF05", "调解不成"),
            ("JF01", "调解成功"),
            ("JF01", "调解成功"),
            ("JF02", "调解成功"),
        ),
    ),
    "ZBB": UnitProfile(
        title_name="镇北堡镇综合执法大队",
        officer_prefix="镇北堡队员",
        cases=90,
        patrols=290,
        notices=9,
        date_text_share=0.15,
        grid_weights=(2, 1.5, 1, 1, 1.5, 1.5),
        items={
            "GT01": 5,
            "GT03": 3,
            "GT04": 10,
            "GT05": 10,
            "SR01": 5,
            "SR02": 4,
            "SR05": 6,
            "SR06": 3,
            "JS04": 2,
            "MZ01": 5,
            "MZ02": 6,
            "ZA02": 2,
            "ZA04": 2,
            "WS03": 3,
        },
        notice_items=("GT01", "GT04", "GT05", "MZ02", "SR05", "WS03"),
        penalties=(("GT05", 1000, 5000), ("GT04", 1000, 3000), ("SR06", 200, 1000)),
        referrals=(("GT04", "国土局"), ("ZA04", "派出所"), ("WS06", "卫生监督所")),
        js_referrals=("人口计生局",),
        disputes=(
            ("JF05", "调解成功"),
            ("JF05", "调解成功"),
            ("JF05", "调解不成"),
            ("JF01", "调解成功"),
            ("JF04", "调解成功"),
        ),
    ),
}

SUMMARIES: dict[str, tuple[str, ...]] = {
    "SR01": ("{place}占道摆摊销售水果", "{place}出店经营占用人行道", "{place}流动摊点占道经营"),
    "SR02": ("{place}道路两侧堆放建材", "{place}擅自搭建简易棚"),
    "SR03": ("{place}墙面张贴小广告", "{place}电线杆乱贴乱画"),
    "SR04": ("{place}乱扔烟头纸屑", "{place}随地乱扔废弃物"),
    "SR05": ("{place}乱倒生活垃圾", "{place}随意倾倒建筑垃圾"),
    "SR06": ("{place}运输车辆遗撒泥土", "{place}渣土车未覆盖遗撒"),
    "SR07": ("{place}门头牌匾破损", "{place}擅自设置灯箱广告"),
    "SR08": ("{place}踩踏绿地损坏花草",),
    "GT01": ("{place}未经许可建设房屋", "{place}未按规划许可加盖房屋"),
    "GT02": ("{place}未取得规划许可搭建门面房",),
    "GT03": ("{place}违反村庄规划建设院墙",),
    "GT04": ("{place}村民未经批准占地建房", "{place}超占宅基地建房"),
    "GT05": ("{place}占用耕地取土", "{place}占用耕地建房", "{place}耕地内挖砂"),
    "WS01": ("{place}无证经营餐饮",),
    "WS03": ("{place}食品摊点不符合卫生条件", "{place}小作坊卫生条件差"),
    "WS04": ("{place}理发店未办卫生许可证",),
    "WS05": ("{place}浴室从业人员无健康证",),
    "WS06": ("{place}无证行医",),
    "JS01": ("{place}违法生育", "{place}不符合规定生育子女"),
    "JS04": ("{place}流动人口未办理婚育证明", "{place}流动人口未交验婚育证明"),
    "JS05": ("{place}出租房主不配合流动人口计生管理",),
    "MZ01": ("{place}遗体未火化土葬",),
    "MZ02": ("{place}耕地内修建坟墓", "{place}道路两侧修建坟墓"),
    "MZ03": ("{place}销售封建迷信殡葬用品",),
    "MZ04": ("{place}未经登记以社团名义活动",),
    "ZA01": ("{place}出租房屋未登记承租人信息",),
    "ZA02": ("{place}流动人口未申报暂住登记",),
    "ZA03": ("{place}夜间噪声扰民", "{place}店铺高音喇叭扰民"),
    "ZA04": ("{place}饲养犬只扰民",),
    "ZA05": ("{place}拉客揽客扰乱车站秩序", "{place}扰乱市场秩序"),
    "JF01": ("{place}邻里因排水发生纠纷", "{place}邻里因通道发生纠纷"),
    "JF02": ("{place}家庭赡养纠纷", "{place}夫妻婚姻纠纷"),
    "JF03": ("{place}居民与物业因收费发生纠纷", "{place}楼上漏水引发纠纷"),
    "JF04": ("{place}务工人员工资拖欠纠纷",),
    "JF05": ("{place}村民宅基地界址纠纷", "{place}承包地边界纠纷"),
}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱海"
PHONE_PREFIXES = ("139", "138", "137", "135", "150", "151", "152", "158", "186", "189", "133")

NOTES = (
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "联合派出所巡查",
    "节假日加强巡查",
    "重点整治占道经营",
    "雨天巡查",
    "配合城管联合整治",
)

INSTRUCTIONS: dict[str, tuple[str, ...]] = {
    "cases": (
        "一、每办理一起案件填写一行，案件编号按年度顺序编写，不得重复。",
        "二、事项编码按《委托执法事项目录》填写；矛盾纠纷填写JF类编码。",
        "三、处理方式填写：劝导教育、现场纠正、整改通知、立案处罚、移交、调解。",
        "四、处理方式为移交的，须填写移交部门；下发整改通知书的，填写整改期限。",
        "五、身份证号、联系电话请以文本格式录入，结案日期不得早于发现日期。",
    ),
    "patrols": (
        "一、每班次巡查填写一行，注明网格及起止时间（24小时制，如08:30）。",
        "二、巡查人员之间用顿号分隔。",
        "三、当场处理数不得大于发现问题数。",
    ),
    "outputs": (
        "一、每项宣传或专项活动产出填写一行。",
        "二、产出类型按目录填写，数量填写阿拉伯数字，计量单位与类型一致。",
        "三、表末合计行仅供参考。",
    ),
}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class _Reference:
    units: dict[str, dict[str, str]]
    grids: dict[str, list[tuple[str, str]]]
    output_types: dict[str, dict[str, str]]


def _load_reference(reference_dir: Path) -> _Reference:
    units = {r["unit_code"]: r for r in _read_csv(reference_dir / "units.csv")}
    grids: dict[str, list[tuple[str, str]]] = {}
    for r in _read_csv(reference_dir / "grids.csv"):
        grids.setdefault(r["unit_code"], []).append((r["grid_code"], r["grid_name"]))
    types = {r["output_code"]: r for r in _read_csv(reference_dir / "output_types.csv")}
    return _Reference(units, grids, types)


@dataclass(frozen=True)
class _FirstYear:
    """The span the demo covers: the pilot's first twelve months, from its first day."""

    start: date

    def month(self, k: int) -> date:
        """The first day of the year's k-th month (0 is the pilot's first day), 12 its end."""
        year, month = divmod(self.start.month - 1 + k, 12)
        year, month = self.start.year + year, month + 1
        return date(year, month, min(self.start.day, calendar.monthrange(year, month)[1]))

    @property
    def end(self) -> date:
        return self.month(12) - timedelta(days=1)

    def random_day(self, rng: random.Random) -> date:
        k = rng.choices(range(12), weights=MONTH_WEIGHTS)[0]
        first = self.month(k)
        return first + timedelta(days=rng.randrange((self.month(k + 1) - first).days))

    def label(self) -> str:
        end = self.end
        return f"（{self.start.year}年{self.start.month}月—{end.year}年{end.month}月）"


def _date_value(rng: random.Random, d: date | None, text_share: float) -> date | str | None:
    """A date as the clerk typed it: mostly a date cell, sometimes text in an accepted form."""
    if d is None:
        return None
    if rng.random() >= text_share:
        return d
    form = rng.choice(("slash", "chinese", "dot"))
    if form == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if form == "chinese":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.year}.{d.month}.{d.day}"


def _id_number(rng: random.Random) -> str:
    """A synthetic resident ID number: region 640105, a birth date, a GB 11643 check digit."""
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 42))
    sequence = rng.randrange(1000)
    while True:
        body = f"640105{birth:%Y%m%d}{sequence:03d}"
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        number = body + "10X98765432"[sum(int(ch) * w for ch, w in zip(body, weights)) % 11]
        # A number ending in 000 cannot be told from one Excel cut to 15 digits: the ingest
        # quarantines it (validate's id_maybe_stored_as_number). None of the committed demo's
        # numbers does; another seed's takes the next sequence code instead.
        if not number.endswith("000"):
            return number
        sequence = (sequence + 1) % 1000


def _phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _party(rng: random.Random, item: str) -> tuple[str | None, str | None, str | None]:
    # Passers-by dropping litter are rarely identified; others are recorded in part.
    if item == "SR04" and rng.random() < 0.7:
        return None, None, None
    name = rng.choice(SURNAMES) + "某某"
    id_no = _id_number(rng) if rng.random() < 0.6 else None
    phone = _phone(rng) if rng.random() < 0.75 else None
    return name, id_no, phone


def _unit_value(rng: random.Random, unit: dict[str, str]) -> str:
    """The unit as clerks write it: mostly the full name, now and then the short name or code."""
    roll = rng.random()
    if roll < 0.85:
        return unit["unit_name"]
    if roll < 0.95:
        return unit["short_name"]
    return unit["unit_code"]


def _place(grid_name: str) -> str:
    return grid_name.split("(")[-1].rstrip(")") if "(" in grid_name else grid_name


@dataclass
class _CaseSpec:
    item: str
    action: str
    outcome: str | None = None
    referred_to: str | None = None
    fine_range: tuple[int, int] | None = None


def _case_specs(rng: random.Random, profile: UnitProfile) -> list[_CaseSpec]:
    specs: list[_CaseSpec] = []
    specs += [_CaseSpec(item, "调解", outcome) for item, outcome in profile.disputes]
    specs += [_CaseSpec("JS01", "移交", "已移交", dept) for dept in profile.js_referrals]
    specs += [_CaseSpec(item, "移交", "已移交", dept) for item, dept in profile.referrals]
    specs += [
        _CaseSpec(item, "立案处罚", "已处罚", None, (lo, hi)) for item, lo, hi in profile.penalties
    ]
    specs += [
        _CaseSpec(rng.choice(profile.notice_items), "整改通知") for _ in range(profile.notices)
    ]
    items, weights = zip(*profile.items.items())
    while len(specs) < profile.cases:
        action = "劝导教育" if rng.random() < 0.6 else "现场纠正"
        specs.append(_CaseSpec(rng.choices(items, weights=weights)[0], action, "已整改"))
    return specs


def _case_rows(
    rng: random.Random, code: str, ref: _Reference, span: _FirstYear
) -> list[dict[str, object]]:
    profile = PROFILES[code]
    grids = ref.grids[code]
    dated = sorted(
        ((span.random_day(rng), i, spec) for i, spec in enumerate(_case_specs(rng, profile))),
        key=lambda t: (t[0], t[1]),
    )
    rows = []
    per_year: Counter[int] = Counter()
    for found, _, spec in dated:
        # Clerks number cases afresh each year, as the filling instructions say.
        per_year[found.year] += 1
        seq = per_year[found.year]
        grid_code, grid_name = rng.choices(grids, weights=profile.grid_weights)[0]
        deadline = closed = None
        outcome = spec.outcome
        fine = None
        if spec.action == "整改通知":
            deadline = found + timedelta(days=rng.choice((3, 5, 7, 7, 10, 15)))
            roll = rng.random()
            if roll < 0.8:
                outcome, closed = (
                    "已整改",
                    found + timedelta(days=rng.randint(1, (deadline - found).days)),
                )
            elif roll < 0.9:
                outcome, closed = "已整改", deadline + timedelta(days=rng.randint(1, 10))
            else:
                outcome = "逾期未整改"
        elif spec.action == "立案处罚":
            closed = found + timedelta(days=rng.randint(3, 20))
            lo, hi = spec.fine_range
            fine = rng.randrange(lo, hi + 1, 50) if hi - lo >= 50 else lo
        elif spec.action == "移交":
            closed = found + timedelta(days=rng.randint(0, 3))
        elif spec.action == "调解":
            closed = found + timedelta(days=rng.randint(0, 10))
        else:
            closed = found + timedelta(days=0 if rng.random() < 0.85 else 1)
        if closed is not None and closed > span.end:
            outcome, closed = "办理中", None
        if spec.item.startswith("JF"):
            source = rng.choices(("群众举报", "巡查发现", "其他"), weights=(6, 3, 1))[0]
        elif spec.action == "移交" and spec.item == "JS01":
            source = "巡查发现"
        else:
            source = rng.choices(
                ("巡查发现", "群众举报", "上级交办", "部门转办"), weights=(75, 20, 3, 2)
            )[0]
        name, id_no, phone = _party(rng, spec.item)
        text_share = profile.date_text_share
        rows.append(
            {
                "case_id": f"{code}-AJ-{found.year}-{seq:04d}",
                "unit": _unit_value(rng, ref.units[code]),
                "grid": grid_code if rng.random() < 0.95 else None,
                "found_date": _date_value(rng, found, text_share),
                "source": source,
                "item_code": spec.item,
                "summary": rng.choice(SUMMARIES[spec.item]).format(place=_place(grid_name)),
                "party_name": name,
                "party_id_no": id_no,
                "phone": phone,
                "action": spec.action,
                "referred_to": spec.referred_to,
                "deadline": _date_value(rng, deadline, text_share),
                "closed_date": _date_value(rng, closed, text_share),
                "outcome": outcome,
                "fine_yuan": fine,
            }
        )
    return rows


def _patrol_times(rng: random.Random) -> tuple[int, int, str]:
    """Start and end in minutes after midnight (end may pass 24:00) and a default note."""
    roll = rng.random()
    if roll < 0.6:
        start = rng.choice(range(8 * 60, 9 * 60 + 31, 15))
        return start, start + rng.choice((90, 120, 150, 180, 210)), ""
    if roll < 0.92:
        start = rng.choice(range(14 * 60, 16 * 60 + 1, 30))
        return start, start + rng.choice((90, 120, 150, 180)), ""
    if roll < 0.97:
        start = rng.choice((19 * 60 + 30, 20 * 60, 20 * 60 + 30))
        return start, start + rng.choice((90, 120, 150)), "夜间巡查"
    start = rng.choice((22 * 60, 22 * 60 + 30, 23 * 60))
    return start, start + rng.choice((120, 150, 180)), "夜间巡查(跨零点)"


def _hhmm(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _patrol_rows(
    rng: random.Random, code: str, ref: _Reference, span: _FirstYear
) -> list[dict[str, object]]:
    profile = PROFILES[code]
    grids = ref.grids[code]
    drafts = []
    for i in range(profile.patrols):
        start, end, note = _patrol_times(rng)
        drafts.append((span.random_day(rng), start, i, end, note))
    drafts.sort()
    rows = []
    for seq, (day, start, _, end, note) in enumerate(drafts, start=1):
        grid_code, _ = rng.choices(grids, weights=profile.grid_weights)[0]
        crew = sorted(rng.sample(range(1, 10), rng.choices((1, 2, 3), weights=(15, 60, 25))[0]))
        issues = rng.choices(range(7), weights=(20, 25, 22, 15, 9, 6, 3))[0]
        resolved = max(0, issues - rng.choices((0, 1, 2), weights=(60, 30, 10))[0])
        rows.append(
            {
                "patrol_id": f"{code}-XC-{seq:04d}",
                "unit": _unit_value(rng, ref.units[code]),
                "grid": grid_code,
                "date": _date_value(rng, day, profile.date_text_share),
                "start_time": _hhmm(start),
                "end_time": _hhmm(end),
                "officers": "、".join(f"{profile.officer_prefix}{n:02d}" for n in crew),
                "issues_found": issues,
                "resolved_on_spot": resolved,
                "note": note or rng.choice(NOTES) or None,
            }
        )
    return rows


def _partition(rng: random.Random, total: int, chunks: tuple[int, ...]) -> list[int]:
    """Split a total into activity-sized quantities that add up to it exactly."""
    parts = []
    left = total
    while left > 0:
        fitting = [c for c in chunks if c <= left] or [left]
        parts.append(rng.choice(fitting))
        left -= parts[-1]
    return parts


def _output_rows(
    rng: random.Random, code: str, ref: _Reference, span: _FirstYear
) -> list[dict[str, object]]:
    profile = PROFILES[code]
    grids = ref.grids[code]
    drafts = []
    for output_code, total in OUTPUT_TARGETS[code].items():
        for quantity in _partition(rng, total, OUTPUT_CHUNKS[output_code]):
            drafts.append((output_code, quantity))
    for output_code, (n_rows, chunks) in FREE_OUTPUTS[code].items():
        drafts += [(output_code, rng.choice(chunks)) for _ in range(n_rows)]
    dated = sorted(((span.random_day(rng), i, oc, q) for i, (oc, q) in enumerate(drafts)))
    rows = []
    for seq, (day, _, output_code, quantity) in enumerate(dated, start=1):
        otype = ref.output_types[output_code]
        aliases = [a for a in otype["aliases"].split("|") if a]
        label = rng.choice(aliases) if aliases and rng.random() < 0.2 else otype["output_name"]
        _, grid_name = rng.choices(grids, weights=profile.grid_weights)[0]
        rows.append(
            {
                "activity_id": f"{code}-HD-{seq:03d}",
                "unit": _unit_value(rng, ref.units[code]),
                "date": _date_value(rng, day, profile.date_text_share),
                "campaign": rng.choice(CAMPAIGNS[output_code]),
                "output_type": label,
                "quantity": quantity,
                "measure": otype["measure"] if rng.random() < 0.85 else None,
                "place": _place(grid_name) if output_code != "TRAINING" else "大队会议室",
                "note": None,
            }
        )
    return rows


_TITLE_FONT = Font(bold=True, size=14)
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TEXT_COLUMNS = {"party_id_no", "phone", "start_time", "end_time"}


def _write_workbook(
    path: Path,
    title: str,
    ledger: Ledger,
    rows: list[dict[str, object]],
    total_row: dict[str, object] | None = None,
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = ledger.title
    ncols = len(ledger.columns)
    ws.cell(row=1, column=1, value=title).font = _TITLE_FONT
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    for c, col in enumerate(ledger.columns, start=1):
        cell = ws.cell(row=2, column=c, value=col.header)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        ws.column_dimensions[get_column_letter(c)].width = max(10, len(col.header) * 2 + 2)
    body = rows + ([total_row] if total_row else [])
    for r, row in enumerate(body, start=3):
        for c, col in enumerate(ledger.columns, start=1):
            cell = ws.cell(row=r, column=c, value=row.get(col.name))
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif col.name in _TEXT_COLUMNS:
                cell.number_format = "@"
    ws.freeze_panes = "A3"
    notes = wb.create_sheet("填表说明")
    notes.cell(row=1, column=1, value=f"{ledger.title}填表说明").font = _HEADER_FONT
    for r, line in enumerate(INSTRUCTIONS[ledger.name], start=2):
        notes.cell(row=r, column=1, value=line)
    notes.column_dimensions["A"].width = 80
    wb.properties.creator = "pilot demo"
    wb.properties.lastModifiedBy = "pilot demo"
    wb.properties.created = _FIXED_TIMESTAMP
    wb.properties.modified = _FIXED_TIMESTAMP
    buffer = io.BytesIO()
    wb.save(buffer)
    _write_stable_zip(buffer.getvalue(), path)


def _write_stable_zip(data: bytes, path: Path) -> None:
    """Rewrite the xlsx archive with fixed entry timestamps so the bytes depend only on content."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time into dcterms:modified whatever the properties say.
                content = _MODIFIED.sub(rb"\g<1>" + _FIXED_W3CDTF + rb"\g<2>", content)
            dst.writestr(entry, content)
    path.write_bytes(out.getvalue())


def demo_paths(out_dir: Path) -> list[Path]:
    """The nine files generate_demo writes: named as the units' clerks name their ledgers."""
    return [
        Path(out_dir) / f"{code}_{ledger.title}.xlsx"
        for code in UNITS
        for ledger in (CASES, PATROLS, OUTPUTS)
    ]


def generate_demo(
    out_dir: Path,
    seed: int = 2011,
    reference_dir: Path | None = None,
    pilot_start: date | None = None,
    today: date | None = None,
) -> list[Path]:
    """Write the nine demo ledgers (three per unit) into out_dir and return their paths.

    They cover the pilot's first year from `pilot_start` (default: Settings.pilot_start, dbt's
    var), the year the published figures count, which must be over by `today` (default: the day
    of the run).
    """
    span = _FirstYear(pilot_start or Settings().pilot_start)
    today = today or date.today()
    if span.end > today:
        # Its dates would run past today, and the ingest quarantines those (date_in_future).
        raise PilotError(
            f"示例台账为试点的前 12 个月（{span.start} 至 {span.end}），现在生成会有晚于今天"
            f"（{today}）的日期，入库时会被隔离 / the demo ledgers hold the pilot's first 12 "
            f"months ({span.start} to {span.end}): written now they would hold dates after today "
            f"({today}), which the ingest quarantines",
            hint=f"the demo starts on the pilot's first day, {span.start} (dbt var pilot_start): "
            f"write it on {span.end} or later",
        )
    ref = _load_reference(Path(reference_dir) if reference_dir else REFERENCE_DIR)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for code in UNITS:
        profile = PROFILES[code]
        # One generator per unit and ledger, so changing one ledger leaves the others as they were.
        streams = [
            random.Random(f"{seed}:{code}:{name}") for name in ("cases", "patrols", "outputs")
        ]
        cases = _case_rows(streams[0], code, ref, span)
        patrols = _patrol_rows(streams[1], code, ref, span)
        outputs = _output_rows(streams[2], code, ref, span)
        total = {"activity_id": "合计", "quantity": sum(r["quantity"] for r in outputs)}
        for ledger, rows, extra in (
            (CASES, cases, None),
            (PATROLS, patrols, None),
            (OUTPUTS, outputs, total),
        ):
            path = out_dir / f"{code}_{ledger.title}.xlsx"
            title = f"{profile.title_name}{ledger.title}{span.label()}"
            _write_workbook(path, title, ledger, rows, extra)
            written.append(path)
    return written
