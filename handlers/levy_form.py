"""The employer's calculator: "算一下保障金" asks four questions and shows each step.

Asked in a sentence ("我们公司200人 有1个残疾职工 要交多少保障金"), the figures it already
gives (unit kind, staff, disabled employees, an annual wage) are taken, read back, and only the
missing ones asked; 返回 reaches a taken figure to change it.
The rules (handlers/levy.py) follow ../shared/reference/policy-facts.md; the city's average
wage is a setting staff update each year with its source ([levy] in the configuration).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.messages import Incoming, Reply
from bot.router import Context
from handlers.forms import Form, Step
from handlers.levy import UnitKind, estimate, render
from handlers.validators import InvalidAnswer, parse_chinese_number
from knowledge.text import normalize

LARGEST = Decimal(10) ** 12  # far above any staff count or wage; keeps int() cheap
NONE_WORDS = {"没有", "无", "零", "一个也没有", "没安排", "一个没有", "0人"}
_N = r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十]+)"
_NOT_A_COUNT = r"(?!\s*(?:以下|以上|以内|及以下|及以上|含|左右的))"  # "30人以下": a rule
STAFF = (re.compile(rf"{_N}\s?(?:个|名|位)?(?:人|员工|职工|教职工|工人|雇员){_NOT_A_COUNT}"),
         re.compile(rf"(?<!残疾)(?:职工|员工|人数)(?:有|共|一共|总共|总数)?\s*{_N}{_NOT_A_COUNT}"))
DISABLED = (re.compile(rf"{_N}(?:个|名|位)?残疾"),
            re.compile(rf"残疾(?:人|职工|员工)\s*(?:有|共)?\s*{_N}"))
MONTHLY = re.compile(r"月(平均)?(工资|薪|收入)|每月")
NO_DISABLED = re.compile(r"(没有|没|无|未)(招|安排|雇|用|招聘)?(过)?(一个)?残疾")
WAGE = re.compile(rf"(?<!月)(?:年平均工资|平均工资|人均工资|平均年薪|年薪|工资)\s*"
                  rf"(?:是|为|大概|大约|约|有|在)?\s*{_N}\s*(万|w)?")
KINDS = ((UnitKind.ENTERPRISE, r"公司|企业|国企|民企|私企|厂|集团"),
         (UnitKind.AGENCY, r"机关|政府部门"),
         (UnitKind.INSTITUTION, r"事业单位|学校|医院|幼儿园"),
         (UnitKind.ASSOCIATION, r"社会团体|协会|社团|商会|学会"))


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


def _figure(word: str) -> Decimal | None:
    """A number typed in digits or in Chinese (up to 九十九)."""
    if word[0].isdigit():
        return Decimal(word)
    spoken = parse_chinese_number(word)
    return None if spoken is None else Decimal(spoken)


def _first(patterns: tuple[re.Pattern[str], ...], text: str) -> Decimal | None:
    for pattern in patterns:
        for match in pattern.finditer(text):
            if (value := _figure(match.group(1))) is not None:
                return value
    return None


def figures(text: str) -> dict[str, Any]:
    """The calculator's answers found in a sentence; only those that fit the steps' rules."""
    text = normalize(text)
    found: dict[str, Any] = {}
    kinds = [kind for kind, words in KINDS if re.search(words, text)]
    if len(kinds) == 1:
        found["kind"] = kinds[0].value
    staff = _first(STAFF, text)
    if staff is not None and staff == int(staff) and 1 <= staff <= 1_000_000:
        found["staff"] = int(staff)
        disabled = Decimal(0) if NO_DISABLED.search(text) else _first(DISABLED, text)
        if disabled is not None and 0 <= disabled <= staff:
            found["disabled"] = float(disabled)
    wage = None if MONTHLY.search(text) else WAGE.search(text)
    if wage and (value := _figure(wage.group(1))) is not None:
        value *= 10000 if wage.group(2) else 1
        if 10_000 <= value <= 10_000_000:  # less is a monthly wage: asked as a yearly one
            found["wage"] = str(value)
    return found


def read_back(found: dict[str, Any]) -> str:
    """The figures taken from the request, said back so a slip can be caught."""
    parts = [f"单位是{found['kind']}" if "kind" in found else "",
             f"上年在职职工{found['staff']}人" if "staff" in found else "",
             f"已安排残疾人{Decimal(str(found['disabled'])).normalize():f}名"
             if "disabled" in found else "",
             f"年平均工资{Decimal(found['wage']).normalize():f}元" if "wage" in found else ""]
    missing = len(CALCULATOR.steps) - len(found)
    rest = f"还需要回答{missing}个问题。" if missing else "下面是估算结果。"
    return (f"好的，我帮您估算残疾人就业保障金。按您说的：{'，'.join(p for p in parts if p)}。"
            f"有说错的，请回复“取消”后重说。{rest}")


def start(msg: Incoming, ctx: Context) -> Reply:
    """Open the calculator; figures given in the request are taken and not asked again."""
    found = figures(msg.text)
    if not found:
        return CALCULATOR.start(msg, ctx)
    return CALCULATOR.start(msg, ctx, given=found, intro=read_back(found))


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
        Step("staff", "上年在职职工有多少人？请回复数字，例如：200", parse=_staff),
        Step("disabled", "上年已安排多少名残疾人就业？请回复数字，没有请回复0。", parse=_disabled),
        Step("wage", "上年在职职工的年平均工资是多少元？请回复数字，例如：80000 或 8万",
             parse=_wage),
    ),
)
