"""就业登记 through the real webhook: corrections, a restart, family, consent, odd certificates."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from db.models import Consent, Conversation, Handoff, InboundMessage, Registration, User
from bot.settings import load_settings
from handlers.forms import FOOTER
from tests.dialog import (CERT_ANSWER, NOW, REGISTRATION_WALK, Clock, another_app,
                          assert_reply_rules, certificate, register, rows, run, say, state_of,
                          walk)

ROOT = Path(__file__).resolve().parent.parent
CERT = certificate()  # 1990-03-07, 肢体一级
PERSONAL = "（个人信息，不保存原文）"


def spaced(number: str) -> str:
    """The number as people type it from the card: in groups, with spaces."""
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


def test_registration_with_corrections_and_a_restart_in_the_middle(
        chat: Any, database: str, simulator: Any, knowledge_base: Any) -> None:
    user = "reg-corrections"
    turns = run(chat, user, ["我想登记找工作", "1", "同意", "欧阳明远", CERT[:16]])
    assert "请问您是" in turns[0][0] and "3. 用人单位" in turns[0][0]
    assert "单独确认是否同意" in turns[1][0]
    assert "请回复您的姓名" in turns[2][0]
    assert "请回复您的残疾人证号" in turns[3][0]
    assert "您发来的是16位" in turns[4][0] and "请回复您的残疾人证号" in turns[4][0]
    assert state_of(chat, user) == "register:certificate"

    check = say(chat, user, CERT)
    assert "肢体残疾一级，出生于1990年" in check and f"证号尾号{CERT[14:18]}" in check
    assert CERT not in check
    assert "好的，请重新发送残疾人证号" in say(chat, user, "不对，重新输入")
    assert "对吗" in say(chat, user, spaced(CERT))
    assert "联系电话" in say(chat, user, "对")

    # The process restarts (a deploy, another worker): the conversation carries on from the db.
    with another_app(database, simulator, knowledge_base, seen=chat.seen) as second:
        assert "您住在哪个街道" in say(second, user, "138 1234 5678")
        assert "联系电话" in say(second, user, "返回")
        assert state_of(second, user) == "register:phone"
        assert "您住在哪个街道" in say(second, user, "13812345678")
        assert "文化程度" in say(second, user, "望海楼")
        assert "想做哪类工作" in say(second, user, "３")
        assert "希望怎样就业" in say(second, user, "一和三")
        assert "技能或证书" in say(second, user, "全日制")
        assert "无障碍支持" in say(second, user, "跳过")
        summary = say(second, user, "读屏软件")
        chat.seen.update(second.seen)
    for expected in ("姓名：欧阳明远", f"残疾人证：证号尾号{CERT[14:18]}", "联系电话：手机尾号5678",
                     "所在街道：望海楼街", "文化程度：高中、中专或职高", "求职意向：手工制作、按摩、保健",
                     "就业方式：全日制", "技能和证书：未填写", "无障碍需求：读屏软件"):
        assert expected in summary
    assert "13812345678" not in summary and CERT not in summary

    # Corrections from the summary ("修改", then a number, or a field's name): each goes back
    # to the summary; the certificate is re-checked.
    assert "1. 姓名：欧阳明远" in say(chat, user, "修改")
    assert "联系电话" in say(chat, user, "3")
    assert "联系电话：手机尾号1111" in say(chat, user, "13900001111")
    assert "请回复您的残疾人证号" in say(chat, user, "修改残疾人证")
    assert "对吗" in say(chat, user, CERT)
    assert "请核对您填写的信息" in say(chat, user, "对")
    run(chat, user, ["不对"])
    assert "请回复您的姓名" in say(chat, user, "第一个")
    assert "姓名：欧阳明辉" in say(chat, user, "我叫欧阳明辉")
    done = say(chat, user, "确认")
    assert "登记成功" in done and "手机尾号1111" in done and "我的信息" in done
    assert state_of(chat, user) is None

    [row] = rows(chat, Registration)
    assert (row.name, row.certificate, row.phone) == ("欧阳明辉", CERT, "13900001111")
    assert (row.category, row.grade, row.birth_year) == ("肢体", "一级", 1990)
    assert (row.street, row.education) == ("望海楼街", "高中、中专或职高")
    assert (row.job_kinds, row.employment_modes) == ("手工制作、按摩、保健", "全日制")
    assert (row.skills, row.accessibility) == (None, "读屏软件")
    assert row.relation == "本人" and row.certificate_checked and row.user_id == user
    [consent] = rows(chat, Consent, user_id=user)
    assert row.consent_id == consent.id and consent.relation == "本人"
    assert rows(chat, User, user_id=user)[0].role == "jobseeker"
    # What was typed at personal steps is never kept in the message history.
    texts = [m.text or "" for m in rows(chat, InboundMessage, user_id=user)]
    assert texts.count(PERSONAL) >= 8
    for secret in ("欧阳", "13812345678", "13900001111", CERT, CERT[:16], "1381234"):
        assert not any(secret in t for t in texts), secret


def test_a_family_member_registers_for_someone(chat: Any) -> None:
    user = "reg-family"
    turns = run(chat, user, ["就业登记", "家属", "第一个"])
    assert "您和这位残疾人是什么关系" in turns[1][0]
    assert "为您的家人提供就业服务" in turns[2][0]
    assert "请回复残疾人本人的姓名" in say(chat, user, "1")
    assert "请回复残疾人本人的残疾人证号" in say(chat, user, "王小红")
    turns = run(chat, user, [certificate("12010519851111002", "2", "3"), "对", "022-87654321",
                             "2", "1", "7", "打包分拣", "2 3", "跳过", "手语翻译"])
    for turn, asked in zip(turns[1:], ("您的或残疾人本人的都可以", "残疾人本人住在哪个街道",
                                       "残疾人本人的文化程度", "残疾人本人想做哪类工作",
                                       "具体是什么", "希望怎样就业", "残疾人本人有什么技能",
                                       "残疾人本人工作中需要")):
        assert asked in turn[0], asked
    summary = say(chat, user, "返回")  # from the summary: the last question again
    assert "无障碍支持" in summary
    assert "请核对" in say(chat, user, "手语翻译")
    done = say(chat, user, "确认")
    assert "登记成功" in done and "电话尾号4321" in done
    [row] = rows(chat, Registration)
    assert (row.user_id, row.relation, row.name) == (user, "监护人", "王小红")
    assert (row.category, row.grade, row.phone) == ("听力", "三级", "022-87654321")
    assert (row.employment_modes, row.accessibility) == ("非全日制、居家就业", "手语翻译")
    assert (row.street, row.job_kinds) == ("望海楼街", "其他：打包分拣")
    [consent] = rows(chat, Consent, user_id=user)
    assert consent.relation == "监护人" and consent.purpose == "job_registration"
    assert rows(chat, User, user_id=user)[0].role == "family"


def test_a_refused_consent_collects_nothing_and_other_services_still_work(chat: Any) -> None:
    user = "reg-refuses"
    turns = run(chat, user, ["我想登记找工作", "1", "不同意"])
    assert "我们不会收集您的个人信息" in turns[2][0] and "1. 政策咨询" in turns[2][0]
    assert state_of(chat, user) is None
    assert rows(chat, Consent) == [] and rows(chat, Registration) == []
    answer = say(chat, user, "残疾人证怎么办理")
    assert CERT_ANSWER in answer and state_of(chat, user) is None
    # Changing one's mind later: back at consent, a refusal withdraws what was granted.
    run(chat, user, ["就业登记", "同意", "返回"])
    assert state_of(chat, user) == "register:consent"
    assert "不会收集" in say(chat, user, "不同意")
    [consent] = rows(chat, Consent, user_id=user)
    assert consent.withdrawn_at is not None
    assert rows(chat, Registration) == []


def born_years_ago(years: int, *, days_later: int = 0) -> str:
    """A certificate of someone born `years` before the test clock's day (plus some days)."""
    born = NOW.date().replace(year=NOW.year - years) + timedelta(days=days_later)
    return certificate(f"120105{born:%Y%m%d}123", "5", "2")


def test_registration_opens_on_the_16th_birthday_not_the_day_before(frozen_chat: Any) -> None:
    chat = frozen_chat
    run(chat, "reg-sixteen", ["我想登记找工作", "1", "同意", "小刚"])
    say(chat, "reg-sixteen", born_years_ago(16))  # sixteen today
    assert state_of(chat, "reg-sixteen") == "register:certificate_ok"
    run(chat, "reg-almost", ["我想登记找工作", "1", "同意", "小强"])
    assert "年满16周岁" in say(chat, "reg-almost", born_years_ago(16, days_later=1))
    assert state_of(chat, "reg-almost") is None


def test_an_under_16_certificate_gets_a_kind_refusal_with_a_person(frozen_chat: Any) -> None:
    chat, user = frozen_chat, "reg-child"
    run(chat, user, ["我想登记找工作", "1", "同意", "小明"])
    refusal = say(chat, user, born_years_ago(10))
    assert "年满16周岁" in refusal and "人工" in refusal and "菜单" in refusal
    assert state_of(chat, user) is None
    assert rows(chat, Registration) == []
    assert "已通知工作人员" in say(chat, user, "人工")
    assert len(rows(chat, Handoff, user_id=user)) == 1


def test_a_certificate_of_another_format_is_refused_with_a_person_offered(chat: Any) -> None:
    user = "reg-old-card"
    run(chat, user, ["我想登记找工作", "1", "同意", "赵桂兰"])
    # An 18-digit ID number is a typing slip: asked again, with a person offered.
    again = say(chat, user, CERT[:18])
    assert "身份证号" in again and "人工" in again
    assert state_of(chat, user) == "register:certificate"
    # Only second-generation numbers are registered here; staff register other cards.
    refused = say(chat, user, "B1234567890123456X")
    assert "第二代残疾人证号" in refused and "20位" in refused and "人工" in refused
    assert state_of(chat, user) == "register:certificate"
    assert rows(chat, Registration) == [] and rows(chat, Handoff) == []


def test_registering_the_same_certificate_again_updates_it(chat: Any) -> None:
    user = "reg-twice"
    first = register(chat, user, phone="13811112222")
    assert "登记成功" in first
    [before] = rows(chat, Registration)
    second = register(chat, user, name="欧阳明远", cert=spaced(CERT), phone="13833334444")
    assert "已更新之前的登记" in second and before.ref in second and "手机尾号4444" in second
    [after] = rows(chat, Registration)
    assert (after.id, after.ref, after.phone) == (before.id, before.ref, "13833334444")
    # Someone else (a family member) typing the same card is told it is registered: staff
    # verify and merge (tests/test_registration_owner.py has the rest).
    run(chat, "reg-twice-mother", ["就业登记", "2", "1", "同意", "欧阳明远", CERT, "对",
                                   "13855556666", "1", "3", "1 3", "1", "跳过", "跳过"])
    assert "已经登记过" in say(chat, "reg-twice-mother", "确认")
    [row] = rows(chat, Registration)
    assert (row.id, row.relation, row.user_id) == (before.id, "本人", "reg-twice")


def test_coming_back_after_hours_offers_to_continue_or_start_over(chat: Any,
                                                                    services: Any) -> None:
    user = "reg-later"
    run(chat, user, ["我想登记找工作", "1", "同意"])
    assert state_of(chat, user) == "register:name"

    def away(hours: int) -> None:
        when = services.clock() - timedelta(
            minutes=services.settings.conversation.resume_after_minutes + 60 * hours)
        with services.sessions.begin() as session:
            session.execute(update(Conversation).where(Conversation.user_id == user)
                            .values(updated_at=when))

    away(3)
    offer = say(chat, user, "欧阳明远")
    assert "还没有完成" in offer and "1. 继续上次的" in offer and "2. 重新开始" in offer
    assert "请回复1继续上次的" in say(chat, user, "嗯？")
    resumed = say(chat, user, "继续")
    assert "我们接着来" in resumed and "请回复您的姓名" in resumed
    assert state_of(chat, user) == "register:name"
    assert "请回复您的残疾人证号" in say(chat, user, "欧阳明远")
    assert "对吗" in say(chat, user, CERT)

    away(5)
    assert "重新开始" in say(chat, user, "对")
    fresh = say(chat, user, "2")
    assert "单独确认是否同意" in fresh  # the role is known; the consent is asked again
    assert state_of(chat, user) == "register:consent"
    # What was typed at a personal step while the offer was shown is not kept either.
    texts = [m.text or "" for m in rows(chat, InboundMessage, user_id=user)]
    assert not any("欧阳" in t or CERT in t for t in texts)


def test_an_employer_is_told_registration_is_for_jobseekers(chat: Any) -> None:
    user = "reg-employer"
    turns = run(chat, user, ["我想登记找工作", "3"])
    assert "用人单位可以直接问我" in turns[1][0]
    assert state_of(chat, user) is None
    again = say(chat, user, "就业登记")
    assert "修改身份" in again
    assert_reply_rules([again])
    assert rows(chat, Consent) == []


def test_long_notes_keep_the_summary_one_short_message_and_are_saved_whole(chat: Any) -> None:
    skills = "会用电脑办公软件，" * 20  # 180 characters
    needs = "需要读屏软件和可以调大字体的显示器，" * 10
    say(chat, "notes1", "我想登记找工作")
    for line in ("1", "同意", "欧阳明远", CERT, "对", "13812345678", "1", "3", "1 3", "1",
                 skills, needs):
        summary = say(chat, "notes1", line)  # say() checks the 500-character rule
    assert state_of(chat, "notes1") == "register:__confirm"
    assert "共180字" in summary
    say(chat, "notes1", "确认")
    [saved] = rows(chat, Registration)
    assert (saved.skills, saved.accessibility) == (skills, needs)


def test_the_demo_configuration_offers_the_districts_ten_streets_and_other_asks_where(
        database: str, simulator: Any, knowledge_base: Any) -> None:
    streets = load_settings(ROOT / "config.example.toml", env={}).district.streets
    assert streets == ("光复道街", "望海楼街", "鸿顺里街", "新开河街", "铁东路街", "建昌道街",
                       "宁园街", "王串场街", "江都路街", "月牙河街")  # policy-facts.md §11
    user = "reg-streets"
    with another_app(database, simulator, knowledge_base,
                     district={"streets": list(streets)}) as chat:
        run(chat, user, ["我想登记找工作", "1", "同意", "欧阳明远", CERT, "对"])
        asked = say(chat, user, "13812345678")
        assert "1. 光复道街\n2. 望海楼街" in asked and "10. 月牙河街" in asked
        assert "11. 其他街道或不在河北区\n请回复数字。" in asked
        what = say(chat, user, "11")
        assert "您选了“其他街道或不在河北区”，具体是什么" in what and "20字以内" in what
        assert "文化程度" in say(chat, user, "南开区长虹街道嘉陵道附近的小区，离这边挺远的")
        run(chat, user, ["1", "1", "1", "跳过"])
        summary = say(chat, user, "跳过")
        assert "所在街道：其他街道或不在河北区：南开区长虹街道嘉陵道附近的……（共31字）" in summary
        assert "登记成功" in say(chat, user, "确认")
        [row] = rows(chat, Registration)
        assert row.street == "其他街道或不在河北区：南开区长虹街道嘉陵道附近的小区，离这边挺"


def test_other_in_a_choice_asks_what_and_keeps_it_or_skips(chat: Any) -> None:
    user = "reg-other"
    walk(chat, user, REGISTRATION_WALK[:9])
    assert state_of(chat, user) == "register:job_kinds"
    assert "具体是什么" in say(chat, user, "1 7")
    assert "想做哪类工作" in say(chat, user, "返回")  # the choice itself again
    assert "具体是什么" in say(chat, user, "7、1")
    assert "希望怎样就业" in say(chat, user, "调酒、咖啡")
    run(chat, user, ["1", "跳过"])
    assert "求职意向：手工制作、其他：调酒，咖啡" in say(chat, user, "跳过")
    # From the summary, changed to a bare "其他" (跳过 says nothing more).
    run(chat, user, ["修改", "6", "7"])
    assert "求职意向：其他\n" in say(chat, user, "跳过")
    say(chat, user, "确认")
    [row] = rows(chat, Registration)
    assert row.job_kinds == "其他"


def test_a_reply_to_the_consent_that_is_no_choice_gets_a_short_re_prompt(chat: Any) -> None:
    user = "reg-consent-brief"
    [[opening], [consent]] = run(chat, user, ["我想登记找工作", "1"])
    assert FOOTER in opening and len(consent) > 200 and FOOTER not in consent
    for line in ("什么意思", "好的", "嗯"):
        assert say(chat, user, line) == "请回复1同意，2不同意；回复“重复”再听一遍说明。", line
    full = say(chat, user, "重复")
    assert "单独确认是否同意" in full and full.endswith("1. 同意\n2. 不同意\n请回复数字。")
    assert FOOTER not in full
    # A question there is answered, then the short re-prompt, not the whole text again.
    [[answer, again]] = run(chat, user, ["残疾人证怎么办理"])
    assert "残疾人证" in answer and "出处" in answer
    assert again == "我们接着就业登记。\n请回复1同意，2不同意；回复“重复”再听一遍说明。"
    assert "单独确认是否同意" in say(chat, user, "再说一遍")
    assert "请回复您的姓名" in say(chat, user, "1")


def test_back_cancel_and_handoff_are_explained_once_when_a_form_starts(chat: Any) -> None:
    user = "reg-footer"
    turns = run(chat, user, ["我想登记找工作", "1", "同意", "欧阳明远", "不知道"])
    assert FOOTER in turns[0][0]
    assert not any(FOOTER in reply for turn in turns[1:] for reply in turn)
    assert turns[2][0] == "请回复您的姓名。" and turns[4][0].endswith("请回复您的残疾人证号"
                                                                       "（20位，在残疾人证第一页）。")
    helped = run(chat, user, ["帮助"])[0]
    assert "返回：回到上一步" in helped[0] and "取消：结束当前办理" in helped[0]
    assert "人工：请工作人员帮忙" in helped[0]
    assert helped[1] == "您的就业登记还在，可以接着回答：\n请回复您的残疾人证号（20位，在残疾人证第一页）。"
    [levy] = run(chat, "reg-footer-levy", ["算一下保障金", "1"])[1:]
    assert FOOTER not in levy[0] and levy[0] == "上年在职职工有多少人？请回复数字，例如：200"
