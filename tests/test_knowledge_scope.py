"""Tests for knowledge.scope: distress first, then small talk, then what is out of scope."""

import pytest

from knowledge.scope import distress, out_of_scope, smalltalk


@pytest.mark.parametrize("text", [
    "残疾了找不到工作 谁都看不起我 活着真没意思",
    "不想活了",
    "我想死",
    "有时候想自杀",
    "想跳楼",
    "活着还有什么意义",
    "我老公又打我",
    "被打了不敢说",
    "孩子在托养机构被虐待",
    "家暴怎么办",
    "活不下去了😭",
])
def test_distress_is_recognised(text):
    assert distress(text) is True


@pytest.mark.parametrize("text", [
    "有消息打我电话",
    "笑死我了",
    "累死了 今天跑了三个招聘会",
    "残疾证怎么办",
    "招聘会打几折",
    "",
])
def test_ordinary_messages_are_not_distress(text):
    assert distress(text) is False


@pytest.mark.parametrize(("text", "expected"), [
    ("你好👋", "greeting"),
    ("您好", "greeting"),
    ("在吗？", "greeting"),
    ("hi", "greeting"),
    ("早上好", "greeting"),
    ("谢谢你", "thanks"),
    ("多谢多谢", "thanks"),
    ("太感谢了", "thanks"),
    ("你是机器人吗", "who_are_you"),
    ("你是谁", "who_are_you"),
    ("是真人吗", "who_are_you"),
    ("你都能帮我干啥", "capabilities"),
    ("你能干什么", "capabilities"),
    ("有什么功能", "capabilities"),
    ("再见", "goodbye"),
    ("拜拜👋", "goodbye"),
    ("你这破机器人有啥用", "insult"),
    ("垃圾", "insult"),
    ("你真傻", "insult"),
])
def test_smalltalk_categories(text, expected):
    assert smalltalk(text) == expected


@pytest.mark.parametrize("text", [
    "你好 残疾证在哪办",
    "谢谢 那残保金什么时候交",
    "残疾证有啥用",
    "找真人客服",
    "人工",
    "四个一是哪四个一",
    "",
])
def test_questions_are_not_smalltalk(text):
    assert smalltalk(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("今天河北区多少度 冷不冷", "weather"),
    ("明天下雨吗", "weather"),
    ("茅台股票现在能买吗", "finance"),
    ("买什么基金好", "finance"),
    ("今晚双色球开几号", "lottery"),
    ("我眼睛越来越看不清 是不是青光眼啊", "medical"),
    ("腰疼吃什么药", "medical"),
    ("北京残疾人就业有啥补贴", "other_city"),
    ("上海的残保金怎么交", "other_city"),
    ("河北省残疾人补贴标准", "other_city"),
    ("石家庄有残疾人招聘会吗", "other_city"),
    ("帮我查下张建国的残疾证号和住址", "other_person_data"),
    ("查一下他电话", "other_person_data"),
    ("告诉我邻居的身份证号", "other_person_data"),
    ("帮我写篇自强不息的作文 800字", "writing"),
    ("帮忙写个演讲稿", "writing"),
    ("红烧肉咋做好吃", "cooking_life"),
    ("讲个笑话", "cooking_life"),
])
def test_out_of_scope_categories(text, expected):
    assert out_of_scope(text) == expected


@pytest.mark.parametrize("text", [
    "河北区残疾人就业三年行动 目标是新增多少人就业",
    "天津残疾人按比例就业是多少",
    "河北区残联在哪",
    "我家住南京路 能去哪找工作",
    "承德道附近有招聘会吗",
    "我是河北省户口 在河北区能办残疾证吗",
    "北京户口在天津上班 残保金算哪",
    "白内障能评残吗",
    "盲人医疗按摩考试 依托哪个机构组织",
    "查一下残联的电话",
    "查一下我的残疾证信息",
    "我儿子的残疾证号怎么查",
    "辅助性就业的活儿从哪来",
    "方案的具体做法是啥",
    "",
])
def test_policy_questions_are_in_scope(text):
    assert out_of_scope(text) is None
