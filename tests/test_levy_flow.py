"""The employer's calculator through the real webhook, on worked cases with the city wage set."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.dialog import NOW, Clock, another_app, run, say, state_of

YEAR, LAST_YEAR = NOW.year, str(NOW.year - 1)  # the levy is paid in YEAR for LAST_YEAR
LEVY = {"city_average_wage": {LAST_YEAR: "100000"},
        "city_average_wage_source": {LAST_YEAR: "测试来源"}}


@pytest.fixture
def calc(database: str, simulator: Any, knowledge_base: Any) -> Iterator[Any]:
    """A chat whose settings know last year's city wage, on the fixed test clock."""
    with another_app(database, simulator, knowledge_base, clock=Clock(), levy=LEVY) as chat:
        yield chat


def estimate(chat: Any, user: str, kind: str, staff: str, disabled: str, wage: str) -> str:
    """Answer the four questions; return the result (the reply rules are checked)."""
    turns = run(chat, user, ["算一下保障金", kind, staff, disabled, wage])
    assert "需要回答4个问题" in turns[0][0] and "1. 企业" in turns[0][0]
    assert "在职职工有多少人" in turns[1][0]
    assert "已安排多少名残疾人" in turns[2][0]
    assert "年平均工资是多少元" in turns[3][0]
    assert state_of(chat, user) is None
    result = turns[4]
    assert len(result) == 2 and "回复“菜单”" in result[1]
    assert "以上为估算，以税务机关核定为准。" in result[0]
    return result[0]


def test_an_enterprise_of_25_is_exempt(calc: Any) -> None:
    result = estimate(calc, "levy-25", "企业", "25", "0", "60000")
    assert "免征：在职职工25人，属于30人（含）以下的企业" in result
    assert "估算金额：0.00 元" in result
    assert f"按{YEAR}年缴纳（{LAST_YEAR}年度）" in result


def test_200_staff_with_one_disabled_employee(calc: Any) -> None:
    result = estimate(calc, "levy-200", "1", "200", "1", "80000")
    for line in ("应安排人数：200 × 1.5% = 3 人", "差额人数：3 − 1 = 2 人",
                 "未超过本市职工年平均工资2倍（200,000元），按本单位计",
                 "应缴额：2 × 80,000 = 160,000 元",
                 "减缴：安排比例0.5%，低于1%，按应缴额90%缴纳：160,000 × 90% = 144,000.00 元",
                 "估算金额：144,000.00 元", "（本市职工年平均工资依据：测试来源）"):
        assert line in result


def test_a_wage_above_the_cap_is_charged_at_the_cap(calc: Any) -> None:
    result = estimate(calc, "levy-cap", "第一个", "200", "没有", "250000")
    assert "差额人数：3 − 0 = 3 人" in result
    assert "本单位年平均工资 250,000 元，超过本市职工年平均工资2倍（200,000元），按 200,000 元计" \
        in result
    assert "应缴额：3 × 200,000 = 600,000 元" in result
    assert "估算金额：540,000.00 元" in result


@pytest.mark.parametrize("none", ["0", "没有", "０", "无"])
def test_no_disabled_employees_is_an_answer_not_a_command(calc: Any, none: str) -> None:
    user = f"levy-none-{ord(none[0])}"
    run(calc, user, ["算一下保障金", "1", "200"])
    assert "年平均工资是多少元" in say(calc, user, none)
    assert state_of(calc, user) == "levy:wage"


def test_wrong_answers_are_asked_again_and_back_goes_one_step(calc: Any) -> None:
    user = "levy-slips"
    run(calc, user, ["算一下保障金", "企业"])
    assert "请只回复一个数字" in say(calc, user, "很多人")
    assert "正整数" in say(calc, user, "0")
    assert "已安排多少名残疾人" in say(calc, user, "200人")
    assert "应在0到200之间" in say(calc, user, "201")
    assert "年平均工资是多少元" in say(calc, user, "2")
    assert "已安排多少名残疾人" in say(calc, user, "返回")
    assert state_of(calc, user) == "levy:disabled"
    assert "年平均工资是多少元" in say(calc, user, "2")
    # 2 of 200 is 1%: half of the shortfall (1 × 80,000).
    result = say(calc, user, "8万")
    assert "安排比例1%，不低于1%但未达1.5%，按应缴额50%缴纳：80,000 × 50% = 40,000.00 元" in result


def test_a_question_at_the_unit_kind_step_is_answered_then_asked_again(calc: Any) -> None:
    user = "levy-question"
    say(calc, user, "算一下保障金")
    turns = run(calc, user, ["公司没招残疾人要交多少钱"])
    assert len(turns[0]) == 2 and "我们接着保障金估算" in turns[0][1] and "1. 企业" in turns[0][1]
    assert state_of(calc, user) == "levy:kind"


def test_without_the_city_wage_the_cap_is_not_checked(frozen_chat: Any) -> None:
    chat = frozen_chat
    result = say(chat, "levy-no-city", "算一下保障金")
    assert "单位类型" in result
    turns = run(chat, "levy-no-city", ["1", "200", "1", "80000"])
    assert "尚未设置本市职工年平均工资" in turns[-1][0]


def test_a_natural_request_enters_the_calculator(calc: Any) -> None:
    user = "levy-natural"
    opening = say(calc, user, "帮我算一下我们公司要交多少残保金")
    assert "按您说的：单位是企业。" in opening and "还需要回答3个问题" in opening
    assert opening.endswith("上年在职职工有多少人？请回复数字，例如：200")
    assert "您是想问" not in opening
    turns = run(calc, user, ["200", "1", "8万"])
    assert "估算金额：144,000.00 元" in turns[-1][0]


def test_figures_in_the_request_are_read_back_and_only_the_missing_asked(calc: Any) -> None:
    user = "levy-figures"
    opening = say(calc, user, "我们公司200人 有1个残疾职工 要交多少保障金")
    assert "按您说的：单位是企业，上年在职职工200人，已安排残疾人1名。" in opening
    assert "还需要回答1个问题" in opening and "年平均工资是多少元" in opening
    assert state_of(calc, user) == "levy:wage"
    # 返回 reaches the figures taken from the request, to change one.
    assert "已安排多少名残疾人" in say(calc, user, "返回")
    assert "年平均工资是多少元" in say(calc, user, "2")
    result = say(calc, user, "80000")
    assert "差额人数：3 − 2 = 1 人" in result and "估算金额：40,000.00 元" in result


def test_every_figure_given_gives_the_estimate_at_once(calc: Any) -> None:
    user = "levy-all"
    [readback, result, after] = run(calc, user, ["我们公司200人，1个残疾职工，平均工资8万，"
                                                  "要交多少残保金？"])[0]
    assert "年平均工资80000元" in readback and "下面是估算结果" in readback
    assert "估算金额：144,000.00 元" in result and "菜单" in after
    assert state_of(calc, user) is None


def test_a_missing_unit_kind_is_asked_first_then_the_rest_is_taken(calc: Any) -> None:
    user = "levy-kind"
    opening = say(calc, user, "我们单位300个人 没招残疾人 保障金交多少")
    assert "上年在职职工300人，已安排残疾人0名" in opening and "1. 企业" in opening
    assert "年平均工资是多少元" in say(calc, user, "事业单位")
    assert "差额人数：4.5 − 0 = 4.5 人" in say(calc, user, "6万")


@pytest.mark.parametrize("question", ["30人以下的企业要交保障金吗", "公司没招残疾人要交多少钱",
                                      "残保金是什么"])
def test_questions_about_the_levy_stay_policy_questions(calc: Any, question: str) -> None:
    user = f"levy-q-{len(question)}"
    reply = say(calc, user, question)
    assert "出处" in reply or "您是想问" in reply
    assert state_of(calc, user) is None
