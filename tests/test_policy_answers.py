"""Policy answers through the webhook: cited, honest when unknown, numbered when unsure."""

import re

from sqlalchemy import select

from db.models import UnansweredQuestion
from knowledge.curation import citation

CITATION = "出处："


def test_a_policy_question_gets_one_cited_answer(chat):
    [reply] = chat.send("fam01", "河北区残疾人就业三年行动 目标是新增多少人就业")
    assert "822" in reply
    assert CITATION in reply and "河北政办〔2022〕15号" in reply
    assert len(reply) <= 500


def test_pinyin_typos_and_traditional_characters_still_find_the_answer(chat):
    # A close call adds a numbered list before the answer: judge everything the person got.
    typo = "\n".join(chat.send("fam02", "残急人就叶服务有哪些"))
    traditional = "\n".join(chat.send("fam03", "就業困難殘疾人按啥標準認定"))
    assert "四个一" in typo and CITATION in typo
    assert "认定办法" in traditional and CITATION in traditional


def test_reply_1_shows_the_detail_of_the_last_answer(chat):
    [answer] = chat.send("fam04", "残疾人就业服务有哪些？")  # typed as curated: one answer
    assert "回复1查看详细" in answer
    [detail] = chat.send("fam04", "1")
    assert detail != answer and CITATION in detail and len(detail) <= 500


def test_an_unknown_question_is_admitted_recorded_and_offered_a_person(chat, services):
    [reply] = chat.send("fam05", "区残联的无障碍电梯坏了找谁修")
    assert "人工" in reply
    assert not any(ch.isdigit() for ch in reply.replace("1", "")), "no made-up figures"
    with services.sessions.begin() as session:
        questions = session.scalars(select(UnansweredQuestion.question)).all()
    assert questions == ["区残联的无障碍电梯坏了找谁修"]


def test_out_of_scope_questions_get_no_policy_answer(chat):
    for user, question in (("o1", "今天河北区多少度 冷不冷"), ("o2", "茅台股票现在能买吗"),
                           ("o3", "北京残疾人就业有啥补贴"), ("o4", "帮我查下张建国的残疾证号和住址")):
        [reply] = chat.send(user, question)
        assert CITATION not in reply, question
        assert "人工" in reply or "当地" in reply, question


def test_a_close_call_offers_numbered_choices_and_a_number_picks_one(chat, knowledge_base):
    [reply] = chat.send("fam06", "残疾人就业服务")  # two or three entries are close
    assert "您是想问" in reply
    listed = re.findall(r"^(\d)\. (.+)$", reply, re.MULTILINE)
    assert [n for n, _ in listed][:2] == ["1", "2"]
    first, second = (next(e for e in knowledge_base.entries if e.title == title)
                     for _, title in listed[:2])
    assert first.answer in reply  # the most relevant answer comes with the list
    [picked] = chat.send("fam06", "2")
    assert picked.startswith(second.answer) and citation(second) in picked
    assert first.answer not in picked


def test_a_close_call_and_its_first_answer_come_as_one_message_when_they_fit(chat):
    replies = chat.send("fam07", "残疾人就业服务")
    assert len(replies) == 1 and len(replies[0]) <= 500
    assert "您是想问" in replies[0] and "下面先给您第1条的答案" in replies[0]
    assert "1. " in replies[0] and "2. " in replies[0] and CITATION in replies[0]


def test_employers_get_the_quota_and_never_a_fixed_declaration_date(frozen_chat):
    chat, this_year = frozen_chat, frozen_chat.services.clock().year
    [ratio] = chat.send("hr01", "天津公司要按多少比例招残疾人")
    [when] = chat.send("hr02", "今年残保金什么时候申报")
    assert "1.5%" in ratio and CITATION in ratio
    assert "当年" in when and f"{this_year}年" not in when


def test_the_office_contact_comes_from_the_settings_only_when_staff_set_it(chat, database,
                                                                            knowledge_base):
    [unset] = chat.send("c1", "河北区残联电话多少")
    assert "知识库里没有" in unset and "人工" in unset

    from bot.app import create_app
    from bot.services import build_services
    from bot.simulator import WeComPeer
    from tests.conftest import make_settings

    settings = make_settings(database, "http://127.0.0.1:1",
                             district={"office_address": "测试路1号", "office_phone": "022-00000000"})
    services = build_services(settings, kb=knowledge_base)
    client = create_app(services=services).test_client()
    w = settings.wecom
    peer = WeComPeer(w.token, w.encoding_aes_key, w.corp_id, w.agent_id)
    query, body = peer.text("c2", "河北区残联电话多少")
    reply = peer.read_reply(client.post(f"/wecom/callback?{query}", data=body).get_data())
    services.pipeline.wait_idle()
    services.engine.dispose()
    assert "地址：测试路1号" in reply and "电话：022-00000000" in reply and "人工" in reply


def test_the_askers_role_decides_a_near_tie(chat, knowledge_base):
    # Two entries explain "残疾人就业服务有什么" almost equally (within AUDIENCE_BONUS): the
    # one written for the asker's role comes first; the role is set as people set it, in
    # 我的信息. The overview is not written for employers; the free services of the
    # disability employment service (which also support employers) are.
    question = "残疾人就业服务有什么"  # not a curated question: ranked, not looked up
    entries = {e.id: e for e in knowledge_base.entries}
    overview, free = entries["services-overview"], entries["free-services"]
    assert "employer" not in overview.audience and "employer" in free.audience
    answered = {}
    for user, role_number in (("role-employer", "3"), ("role-jobseeker", "1")):
        chat.send(user, "修改身份")
        chat.send(user, role_number)
        answered[user] = "\n".join(chat.send(user, question))
    assert free.answer.strip()[:20] in answered["role-employer"]
    assert overview.answer.strip()[:20] in answered["role-jobseeker"]
    assert overview.answer.strip()[:20] not in answered["role-employer"]
