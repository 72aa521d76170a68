"""Tests for handlers.levy: the 残保金 estimate and its plain-text rendering."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.levy import FOOTER, Estimate, UnitKind, estimate, render
from handlers.levy_form import figures

D = Decimal


def test_a_small_enterprise_is_exempt():
    result = estimate(UnitKind.ENTERPRISE, 25, 0, D(80000), D(100000), 2024)
    assert (result.amount, result.exempt, result.rules_known) == (D("0.00"), True, True)
    assert result.steps[-1] == "免征：在职职工25人，属于30人（含）以下的企业，免征保障金。"


def test_thirty_staff_is_still_exempt_and_thirty_one_is_not():
    at_30 = estimate(UnitKind.ENTERPRISE, 30, 0, D(80000), D(100000), 2024)
    at_31 = estimate(UnitKind.ENTERPRISE, 31, 0, D(80000), D(100000), 2024)
    assert (at_30.exempt, at_31.exempt) == (True, False)
    # 31 × 1.5% = 0.465; 0.465 × 80,000 = 37,200; ratio 0% → 90% = 33,480
    assert at_31.amount == D("33480.00")


def test_the_worked_example_of_two_hundred_staff():
    result = estimate(UnitKind.ENTERPRISE, 200, 1, D(80000), D(100000), 2024)
    assert result.amount == D("144000.00")
    assert result.exempt is False
    assert result.steps == [
        "按2024年缴纳（2023年度）的规定估算。",
        "应安排人数：200 × 1.5% = 3 人",
        "差额人数：3 − 1 = 2 人",
        "残疾职工按实际人数计，不作加倍计算。",
        "计费工资：本单位年平均工资 80,000 元，未超过本市职工年平均工资2倍（200,000元），"
        "按本单位计",
        "应缴额：2 × 80,000 = 160,000 元",
        "减缴：安排比例0.5%，低于1%，按应缴额90%缴纳：160,000 × 90% = 144,000.00 元",
    ]
    assert result.sources == [
        "财税〔2015〕72号第八条（计算方法）",
        "《天津市残疾人就业规定》（比例1.5%）",
        "财政部公告2019年第98号第一条（上限：天津按上年度本市职工年平均工资2倍）",
        "财政部公告2023年第8号（分档减缴、30人以下企业免征，2023—2027年）",
    ]


def test_a_wage_above_twice_the_city_average_is_capped():
    result = estimate(UnitKind.ENTERPRISE, 200, 1, D(250000), D(100000), 2024)
    # 2 × 200,000 = 400,000; × 90% = 360,000
    assert result.amount == D("360000.00")
    assert ("计费工资：本单位年平均工资 250,000 元，超过本市职工年平均工资2倍（200,000元），"
            "按 200,000 元计") in result.steps


def test_a_wage_exactly_at_the_cap_is_the_units_own():
    result = estimate(UnitKind.ENTERPRISE, 200, 1, D(200000), D(100000), 2024)
    assert result.amount == D("360000.00")
    assert any("未超过" in step for step in result.steps)


def test_a_small_agency_is_not_exempt():
    result = estimate(UnitKind.AGENCY, 20, 0, D(100000), D(100000), 2024)
    # 20 × 1.5% = 0.3; 0.3 × 100,000 = 30,000; × 90% = 27,000
    assert (result.amount, result.exempt) == (D("27000.00"), False)
    assert "30人（含）以下免征只适用于企业，机关不适用。" in result.steps


@pytest.mark.parametrize("kind", [UnitKind.INSTITUTION, UnitKind.ASSOCIATION])
def test_institutions_and_associations_are_not_exempt(kind):
    result = estimate(kind, 10, 0, D(50000), D(100000), 2023)
    assert (result.amount, result.exempt) == (D("6750.00"), False)


def test_a_ratio_between_one_and_one_and_a_half_percent_pays_half():
    result = estimate(UnitKind.ENTERPRISE, 200, 2, D(80000), D(100000), 2024)
    # 3 − 2 = 1; 1 × 80,000 = 80,000; ratio 1% → 50% = 40,000
    assert result.amount == D("40000.00")
    assert result.steps[-1] == ("减缴：安排比例1%，不低于1%但未达1.5%，按应缴额50%缴纳："
                                "80,000 × 50% = 40,000.00 元")


def test_a_fractional_shortfall_is_not_rounded():
    result = estimate(UnitKind.ENTERPRISE, 150, 2, D(60000), D(100000), 2024)
    # 150 × 1.5% = 2.25; 2.25 − 2 = 0.25; 0.25 × 60,000 = 15,000; ratio 1.33% → 50%
    assert result.amount == D("7500.00")
    assert "差额人数：2.25 − 2 = 0.25 人" in result.steps
    assert any(step.startswith("减缴：安排比例1.33%") for step in result.steps)


def test_fractional_disabled_headcount_is_used_as_given():
    result = estimate(UnitKind.ENTERPRISE, 200, 2.5, D(80000), D(100000), 2021)
    # 3 − 2.5 = 0.5; 0.5 × 80,000 = 40,000; ratio 1.25% → 50% = 20,000
    assert result.amount == D("20000.00")


@pytest.mark.parametrize("disabled", [3, 4, 10])
def test_enough_disabled_staff_pay_nothing(disabled):
    result = estimate(UnitKind.ENTERPRISE, 200, disabled, D(80000), D(100000), 2024)
    assert (result.amount, result.exempt) == (D("0.00"), False)
    assert result.steps[-1] == f"已安排{disabled}人，达到或超过应安排人数，无需缴纳。"


def test_without_the_city_average_the_cap_is_assumed_not_reached():
    result = estimate(UnitKind.ENTERPRISE, 200, 1, D(250000), None, 2024)
    assert result.amount == D("450000.00")
    assert ("计费工资：尚未设置本市职工年平均工资，无法核对上限；按本单位年平均工资 250,000 元计，"
            "假定未超过上限") in result.steps


def test_the_2019_rules_apply_to_2020_to_2022():
    result = estimate(UnitKind.ENTERPRISE, 200, 1, D(80000), D(100000), 2022)
    assert result.amount == D("144000.00")
    assert result.sources[-1] == "财政部公告2019年第98号第三至五条（分档减缴、30人以下企业暂免，2020—2022年）"


@pytest.mark.parametrize("year", [2019, 2028, 2030])
def test_a_year_without_known_rules_gives_no_amount(year):
    result = estimate(UnitKind.ENTERPRISE, 200, 1, D(80000), D(100000), year)
    assert (result.amount, result.rules_known, result.exempt) == (None, False, False)
    assert result.steps == [f"{year}年的残保金减免政策尚未掌握（已知规定适用于2020—2027年），"
                            "无法估算。建议联系工作人员或主管税务机关。"]


def test_even_a_small_enterprise_gets_no_amount_in_an_unknown_year():
    result = estimate(UnitKind.ENTERPRISE, 10, 0, D(80000), D(100000), 2028)
    assert (result.amount, result.rules_known) == (None, False)


def test_kind_may_be_given_in_chinese():
    result = estimate("企业", 25, 0, D(80000), D(100000), 2024)
    assert result.exempt is True


@pytest.mark.parametrize(("staff", "disabled", "wage", "city"), [
    (0, 0, D(1), D(1)), (10, -1, D(1), D(1)), (10, 11, D(1), D(1)), (10, 0, D(-1), D(1)),
    (10, 0, D(1), D(0)), (10, float("nan"), D(1), D(1)),
])
def test_impossible_figures_are_refused(staff, disabled, wage, city):
    with pytest.raises(ValueError):
        estimate(UnitKind.ENTERPRISE, staff, disabled, wage, city, 2024)


def test_render_of_the_worked_example():
    text = render(estimate(UnitKind.ENTERPRISE, 200, 1, D(80000), D(100000), 2024))
    assert text.startswith("残疾人就业保障金估算：\n按2024年缴纳（2023年度）的规定估算。\n")
    assert "估算金额：144,000.00 元\n" in text
    assert text.endswith("\n以上为估算，以税务机关核定为准。")
    assert len(text) <= 500


def test_render_of_an_unknown_year_offers_a_person():
    text = render(estimate(UnitKind.ENTERPRISE, 200, 1, D(80000), D(100000), 2028))
    assert text == ("2028年的残保金减免政策尚未掌握（已知规定适用于2020—2027年），无法估算。"
                    "建议联系工作人员或主管税务机关。\n如需帮助请回复“人工”。\n" + FOOTER)


def test_render_drops_the_document_list_before_going_over_500_characters():
    long = Estimate(D("1.00"), ["步" * 300], ["文件" * 100], True, False)
    text = render(long)
    assert len(text) <= 500
    assert "依据：财税〔2015〕72号等" in text
    assert text.endswith(FOOTER)


@given(kind=st.sampled_from(list(UnitKind)), staff=st.integers(1, 100_000),
       share=st.floats(0, 1), wage=st.integers(0, 10_000_000),
       city=st.one_of(st.none(), st.integers(1, 1_000_000)), year=st.integers(2015, 2035))
def test_any_estimate_renders_within_500_characters(kind, staff, share, wage, city, year):
    disabled = round(staff * share, 2)
    result = estimate(kind, staff, disabled, D(wage), None if city is None else D(city), year)
    text = render(result)
    assert len(text) <= 500
    assert text.endswith(FOOTER)
    assert (result.amount is None) == (not result.rules_known)
    if result.amount is not None:
        assert result.amount >= 0
        assert result.amount <= D(staff) * D("0.015") * D(wage)


@pytest.mark.parametrize(("text", "found"), [
    ("我们公司200人 有1个残疾职工 要交多少保障金", {"kind": "企业", "staff": 200, "disabled": 1.0}),
    ("单位职工一共80，残疾人两个，年平均工资12.5万", {"staff": 80, "disabled": 2.0,
                                                    "wage": "125000.0"}),
    ("学校有50名教职工，没有残疾人", {"kind": "事业单位", "staff": 50, "disabled": 0.0}),
    ("30人以下的企业要交吗", {"kind": "企业"}),
    ("我们厂100人 月工资5000 交多少残保金", {"kind": "企业", "staff": 100}),
    ("公司20人 有30个残疾人", {"kind": "企业", "staff": 20}),  # more than the staff: asked
    ("帮我算一下", {}),
])
def test_figures_are_taken_from_a_sentence_only_when_they_fit(text, found):
    assert figures(text) == found
