"""Issue 12 coverage through the webhook: each category, asked in words people use.

Assertions name words only the right answer has (its citation or key phrase), never words
of the question. None of these questions is copied from bench/eval/heldout.yaml.
"""

import re

import pytest

from handlers.texts import text
from tests.dialog import say

CITATION = "出处："
PLAN = "河北政办〔2022〕15号"


def examples() -> list[str]:
    """The questions the bot itself offers as examples (menu, policy prompt)."""
    found = re.findall(r"“([^”]{6,})”", text("menu") + text("ask_policy"))
    return [q for q in found if q not in ("菜单", "人工", "返回")]


def test_the_bots_own_examples_get_the_answer_they_promise(chat):
    asked = examples()
    assert "残疾人就业有什么扶持政策" in asked
    for n, question in enumerate(asked):
        reply = say(chat, f"ex{n}", question)
        assert "您是想问" not in reply and "没有这个问题" not in reply, question
        if "扶持政策" in question or "找工作" in question:
            assert "四个一" in reply and "辅助性就业" in reply and CITATION in reply, question
        if "交多少钱" in question:  # the formula, or the calculator that applies it
            assert "平均工资" in reply or "保障金估算" in reply, question


@pytest.mark.parametrize("question, words", [
    ("俺家小子腿有残疾 想找个活儿 区里都有嘛服务", ["四个一", "职业能力评估"]),
    ("惨疾人职业技能培训哪有", ["职业院校"]),
    ("blind 按摩 考证👀", ["康复服务指导中心"]),
    ("甭跟我绕 残保金到底咋算", ["平均工资"]),
    ("my daughter is disabled, can she find work", ["四个一", "就业登记"]),
    ("这方案对我们上着班的人有用吗", ["未就业"]),
])
def test_dialect_typos_emoji_and_english(chat, question, words):
    reply = say(chat, "talk1", question)
    assert all(w in reply for w in words) and CITATION in reply, reply


@pytest.mark.parametrize("question, words", [
    ("hey～有人在吗", ["1. 政策咨询"]),
    ("多謝晒", ["不客气"]),
    ("好嘞 懂了 回见", ["再见"]),
    ("你能帮我做些什么", ["1. 政策咨询", "2. 就业登记"]),
    ("你是哪个部门的", ["自动问答助手", "河北区残疾人就业服务"]),
])
def test_small_talk_at_the_edges(chat, question, words):
    reply = say(chat, "talk2", question)
    assert all(w in reply for w in words) and CITATION not in reply, reply


def test_a_matchmaking_request_is_out_of_scope_not_job_introduction(chat):
    reply = say(chat, "talk3", "残联能给我家孩子介绍对象吗")
    assert "超出了我的服务范围" in reply and CITATION not in reply


def test_lists_of_measures_and_requirements(chat):
    measures = say(chat, "list1", "九项措施都是啥 说简单点")
    assert "盲人按摩就业促进" in measures and "职业技能提升" in measures
    requirements = say(chat, "list2", "工作要求一共几条")
    assert "组织推动" in requirements and "监督评估" in requirements


@pytest.mark.parametrize("department, measures", [
    ("区委组织部", ["机关、事业单位带头", "残疾人大学生就业帮扶"]),
    ("人社局", ["国有企业安排", "民营企业安排", "残疾人就业服务提升"]),
    ("编办", ["机关、事业单位带头"]),
    ("国资委", ["国有企业安排", "残疾人大学生就业帮扶"]),
    ("工商联", ["民营企业安排"]),
    ("民政局", ["就业困难残疾人就业帮扶"]),
    ("教育局", ["就业困难残疾人", "大学生", "职业技能提升"]),
    ("卫健委", ["就业困难残疾人", "盲人按摩"]),
    ("财政局", ["残疾人就业服务提升", "职业技能提升"]),
    ("发改委", ["盲人按摩就业促进"]),
    ("区残联", ["全部9项", "助残就业"]),
])
def test_each_department_named_in_the_plan_gets_its_measures(chat, department, measures):
    reply = say(chat, "dept", f"{department}在残疾人就业三年行动里负责啥事")
    assert all(m in reply for m in measures) and "二、主要措施" in reply, reply


@pytest.mark.parametrize("question, words", [
    ("我都63岁了 还有就业服务吗", ["就业年龄段"]),
    ("我户口在红桥区 河北区的培训能去吗", ["当地残联"]),
    ("我在厂里上着班呢 方案跟我有关系吗", ["未就业"]),
])
def test_who_the_plan_applies_to(chat, question, words):
    reply = say(chat, "who", question)
    assert all(w in reply for w in words) and CITATION in reply, reply


def test_a_long_story_from_an_elderly_parent_gets_the_services_and_registration(chat):
    reply = say(chat, "story", "我今年七十二了 老伴身体也不好 儿子三十五 小时候发烧落下智力残疾 "
                               "一直在家 我们走了他可咋办 想让他学点东西有个事做")
    assert "四个一" in reply and "职业能力评估" in reply and "就业登记" in reply


def test_employers_public_and_private(chat):
    public = say(chat, "emp1", "事业单位和国企按方案要做哪些事")
    assert "67" in public and "定向招聘" in public
    private = say(chat, "emp2", "我们是民营企业 方案对我们有啥要求")
    assert "助残就业平台" in private and "1.5%" in private


def test_what_work_a_disability_allows_is_routes_never_a_promise(chat):
    reply = say(chat, "work", "我是听障人士 能做哪些工作")
    assert "职业能力评估" in reply and "不能保证" in reply


def test_the_plan_has_ended_and_what_follows_is_said_plainly(chat):
    ended = say(chat, "time1", "这个方案2025年还有效不")
    assert "已经到期" in ended
    after = say(chat, "time2", "河北区2025年以后的新方案出了吗")
    assert "国办发〔2025〕23号" in after and "没有可靠信息" in after


def test_citations_are_brief_and_say_what_still_applies(chat):
    reply = say(chat, "cite", "区级机关编制够多少人就得安排残疾人")
    assert f"出处：{PLAN}（2022—2024年方案），二、主要措施（一）" in reply
    assert "现在：" in reply and "方案执行期已结束" not in reply


@pytest.mark.parametrize("question, words", [
    # no word of the "四个一" in the question: the overview, not the one service it lists
    ("残疾人就业服务都包括什", ["主要有这几类", "辅助性就业"]),
    # the service named: its own entry
    ("就业服务的四个一都包括什", ["基础信息核对", "建立信息数据档案"]),
    # 迟交 / 拖欠 are 逾期 said plainly: the late fee, not the levy itself or the credit record
    ("残保金迟交了会咋样", ["5‰"]),
    ("拖欠残保金有啥后果", ["5‰"]),
    # 义工 is a 志愿者
    ("我想做义工帮残疾人就业", ["志愿助残"]),
    # 耳背 is 聋人 said plainly: the routes, never a promise
    ("耳背的人能找啥工作", ["不能保证", "职业能力评估"]),
    # 新一轮 / 后续 is what follows the plan
    ("后续还有新一轮的残疾人就业方案吗", ["国办发〔2025〕23号"]),
    # 残疾鉴定 is 评残: the certificate, whose assessment a hospital does
    ("残疾鉴定去哪个医院做", ["县级残联"]),
    # 少交税 is 减税: the income-tax deduction, not the levy
    ("招残疾员工能少交税吗", ["加计扣除"]),
    # 税局 is 税务机关; 下发 is 印发
    ("残保金是交到税局吗", ["由税务机关征收"]),
    ("区里的方案是哪个单位下发的", ["区人民政府办公室印发"]),
    # a grandparent asks for a grandchild as a parent does for a child
    ("外孙女有残疾 想出去干点活 家里能帮她咋办", ["家里人可以先替他了解"]),
    # 能享受吗 asks whether, not which: the measure named decides
    ("就业援助是怎么回事 我能享受吗", ["纳入就业援助范围"]),
    # 证号 asked about while asking a policy question: privacy, not the certificate number
    ("咨询政策要报证号吗", ["问政策不需要提供"]),
    # another district of Tianjin, named in full, is 外区
    ("我是南开区的 能在你们这登记吗", ["这个助手只讲天津市河北区的方案"]),
    # 在上班 is 在职
    ("我已经在上班了 方案还管我吗", ["还没有就业的残疾人"]),
])
def test_the_overview_or_the_specific_entry_as_the_question_names_it(chat, question, words):
    reply = say(chat, "specific", question)
    assert "您是想问" not in reply, reply
    assert all(w in reply for w in words) and CITATION in reply, reply
