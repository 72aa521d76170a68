"""The employer's calculator: "算一下保障金" asks four questions and shows each step.

The rules (handlers/levy.py) follow ../shared/reference/policy-facts.md; the city's average
wage is a setting staff update each year with its source ([levy] in the configuration).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.messages import Reply
from bot.router import Context
from handlers.forms import Form, Step
from handlers.levy import UnitKind, estimate, render
from handlers.validators import InvalidAnswer, parse_chinese_number

LARGEST = Decimal(10) ** 12  # far above any staff count or wage; keeps int() cheap
NONE_WORDS = {"没有", "无", "零", "一个也没有", "没安排", "一个没有", "0人"}


def _number(text: str) -> Decimal:
    cleaned = re.sub(r"[\s,，人名个元块钱左右大约约]", "", text.strip())
    if cleaned in NONE_WORDS or cleaned == "0":
        return Decimal(0)
    scale = Decimal(10000) if cleaned.endswith(("万", "w", "W")) else Decimal(1)
    cleaned = cleaned.rstrip("万wW")
    try:
        value = Decimal(cleaned) * scale
    except InvalidOperation:
        spoken = parse_chinese_number(cleaned)
        if spoken is None:
            raise InvalidAnswer("请只回复一个数字，例如：200") from None
        return Decimal(spoken) * scale
    if not value.is_finite() or abs(value) > LARGEST:  # "NaN", "Infinity", "1e999999"
        raise InvalidAnswer("请只回复一个普通的数字，例如：200")
    return value


def _staff(text: str, ctx: Context) -> int:
    value = _number(text)
    if value != int(value) or value < 1 or value > 1_000_000:
        raise InvalidAnswer("在职职工人数请回复一个正整数，例如：200")
    return int(value)


def _disabled(text: str, ctx: Context) -> float:
    value = _number(text)
    staff = CALCULATOR.value(ctx, "staff") or 0
    if value < 0 or value > staff:
        raise InvalidAnswer(f"已安排的残疾人数应在0到{staff}之间，没有请回复0。")
    return float(value)


def _wage(text: str, ctx: Context) -> str:
    value = _number(text)
    if value <= 0 or value > 10_000_000:
        raise InvalidAnswer("请回复上年在职职工的年平均工资（元），例如：80000 或 8万")
    return str(value)


def _calculate(ctx: Context, answers: dict[str, Any]) -> Reply:
    levy_settings = ctx.services.settings.levy
    year = ctx.today.year  # the levy year where the employer is (Shanghai), not UTC's
    city = levy_settings.city_average_wage.get(str(year - 1))
    result = estimate(answers["kind"], answers["staff"], answers["disabled"],
                      Decimal(answers["wage"]), city, year)
    text = render(result)
    source = levy_settings.city_average_wage_source.get(str(year - 1))
    if city is not None and source and len(text) + len(source) < 470:
        text += f"\n（本市职工年平均工资依据：{source}）"
    return Reply.text(text, "回复“菜单”看其他服务，回复“人工”找工作人员。", options=())


CALCULATOR = Form(
    name="levy", title="保障金估算", done=_calculate, confirm=False,
    intro="好的，我帮您估算残疾人就业保障金，需要回答4个问题。",
    steps=(
        Step("kind", "单位类型是？", choices=tuple(k.value for k in UnitKind)),
        Step("staff", "上年在职职工有多少人？", parse=_staff),
        Step("disabled", "上年已安排多少名残疾人就业？没有请回复0。", parse=_disabled),
        Step("wage", "上年在职职工的年平均工资是多少元？例如：80000 或 8万", parse=_wage),
    ),
)
