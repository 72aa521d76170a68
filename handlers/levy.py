"""Estimate an employer's 残疾人就业保障金 (Tianjin), showing every step of the sum."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum

RATIO = Decimal("0.015")  # 《天津市残疾人就业规定》: 1.5%
REDUCED_RATIO = Decimal("0.01")
CAP_MULTIPLE = Decimal(2)
EXEMPT_STAFF = 30
CENT = Decimal("0.01")
FOOTER = "以上为估算，以税务机关核定为准。"

SOURCE_FORMULA = "财税〔2015〕72号第八条（计算方法）"
SOURCE_RATIO = "《天津市残疾人就业规定》（比例1.5%）"
SOURCE_CAP = "财政部公告2019年第98号第一条（上限：天津按上年度本市职工年平均工资2倍）"
SOURCE_2019 = "财政部公告2019年第98号第三至五条（分档减缴、30人以下企业暂免，2020—2022年）"
SOURCE_2023 = "财政部公告2023年第8号（分档减缴、30人以下企业免征，2023—2027年）"
# Collection years whose reduction rules we know, and the document that sets them.
RULES = {**dict.fromkeys(range(2020, 2023), SOURCE_2019),
         **dict.fromkeys(range(2023, 2028), SOURCE_2023)}


class UnitKind(StrEnum):
    """The kind of employer; only 企业 get the small-unit exemption."""

    ENTERPRISE = "企业"
    AGENCY = "机关"
    INSTITUTION = "事业单位"
    ASSOCIATION = "社会团体"


@dataclass(frozen=True)
class Estimate:
    """The estimated yearly amount (None when the rules for the year are not known)."""

    amount: Decimal | None
    steps: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    rules_known: bool = True
    exempt: bool = False


def _num(value: Decimal) -> str:
    """A count or percentage without trailing zeros: 3, 2.25, 0.5."""
    return f"{value.normalize():f}"


def _money(value: Decimal) -> str:
    """Yuan with thousands separators; cents only when there are any."""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _percent(value: Decimal) -> str:
    return _num((value * 100).quantize(CENT, rounding=ROUND_DOWN)) + "%"


def estimate(kind: UnitKind | str, staff: int, disabled: float, average_wage: Decimal,
             city_average_wage: Decimal | None, year: int) -> Estimate:
    """Estimate the levy collected in `year` on the previous year's figures."""
    kind = UnitKind(kind)
    average_wage = Decimal(str(average_wage))
    if city_average_wage is not None:
        city_average_wage = Decimal(str(city_average_wage))
    if (not math.isfinite(disabled) or staff <= 0 or disabled < 0 or disabled > staff
            or average_wage < 0):
        raise ValueError("staff must be positive, 0 <= disabled <= staff, average_wage >= 0")
    if city_average_wage is not None and city_average_wage <= 0:
        raise ValueError("city_average_wage must be positive when given")
    if year not in RULES:
        known = f"{min(RULES)}—{max(RULES)}年"
        return Estimate(None, [f"{year}年的残保金减免政策尚未掌握（已知规定适用于{known}），"
                               "无法估算。建议联系工作人员或主管税务机关。"], [], False, False)
    sources = [SOURCE_FORMULA, SOURCE_RATIO, SOURCE_CAP, RULES[year]]
    steps = [f"按{year}年缴纳（{year - 1}年度）的规定估算。"]
    if kind is UnitKind.ENTERPRISE and staff <= EXEMPT_STAFF:
        steps.append(f"免征：在职职工{staff}人，属于30人（含）以下的企业，免征保障金。")
        return Estimate(Decimal("0.00"), steps, sources, True, True)
    if staff <= EXEMPT_STAFF:
        steps.append(f"30人（含）以下免征只适用于企业，{kind.value}不适用。")
    count = Decimal(str(disabled))
    required = staff * RATIO
    shortfall = required - count
    steps.append(f"应安排人数：{staff} × 1.5% = {_num(required)} 人")
    if shortfall <= 0:
        steps.append(f"已安排{_num(count)}人，达到或超过应安排人数，无需缴纳。")
        return Estimate(Decimal("0.00"), steps, sources, True, False)
    steps.append(f"差额人数：{_num(required)} − {_num(count)} = {_num(shortfall)} 人")
    steps.append("残疾职工按实际人数计，不作加倍计算。")
    wage = _capped_wage(average_wage, city_average_wage, steps)
    base = shortfall * wage
    steps.append(f"应缴额：{_num(shortfall)} × {_money(wage)} = {_money(base)} 元")
    ratio = count / staff
    if ratio >= REDUCED_RATIO:
        factor, why = Decimal("0.5"), "不低于1%但未达1.5%，按应缴额50%缴纳"
    else:
        factor, why = Decimal("0.9"), "低于1%，按应缴额90%缴纳"
    amount = (base * factor).quantize(CENT, rounding=ROUND_HALF_UP)
    steps.append(f"减缴：安排比例{_percent(ratio)}，{why}：{_money(base)} × "
                 f"{_num(factor * 100)}% = {amount:,.2f} 元")
    return Estimate(amount, steps, sources, True, False)


def _capped_wage(average: Decimal, city: Decimal | None, steps: list[str]) -> Decimal:
    """The wage the levy is charged on: the unit's average, at most twice the city's."""
    if city is None:
        steps.append(f"计费工资：尚未设置本市职工年平均工资，无法核对上限；按本单位年平均工资"
                     f" {_money(average)} 元计，假定未超过上限")
        return average
    cap = city * CAP_MULTIPLE
    if average <= cap:
        steps.append(f"计费工资：本单位年平均工资 {_money(average)} 元，未超过本市职工年平均"
                     f"工资2倍（{_money(cap)}元），按本单位计")
        return average
    steps.append(f"计费工资：本单位年平均工资 {_money(average)} 元，超过本市职工年平均工资2倍"
                 f"（{_money(cap)}元），按 {_money(cap)} 元计")
    return cap


def render(estimate: Estimate) -> str:
    """Plain text for the chat (at most 500 characters), ending with the estimate caveat."""
    if not estimate.rules_known:
        return "\n".join([*estimate.steps, "如需帮助请回复“人工”。", FOOTER])
    amount = "0" if estimate.amount is None else f"{estimate.amount:,.2f}"
    head = "残疾人就业保障金估算："
    tail = [f"估算金额：{amount} 元", "依据：" + "；".join(estimate.sources), FOOTER]
    text = "\n".join([head, *estimate.steps, *tail])
    if len(text) > 500:  # drop the document list before any step of the sum
        text = "\n".join([head, *estimate.steps, tail[0], "依据：财税〔2015〕72号等", FOOTER])
    return text[: 500 - len(FOOTER)] + FOOTER if len(text) > 500 else text
