"""招聘报名: an employer signs up to recruit disabled people at a job fair.

Company, 统一社会信用代码 (GB 32100-2015 check character), contact person and phone
(encrypted at rest), positions with head counts, and the workplace's accommodations.
"""

from __future__ import annotations

from typing import Any

from bot.masking import mask_phone
from bot.messages import Reply
from bot.router import Context
from db.models import Event
from db.signups import employer_sign_up
from handlers.forms import Form, Step, free_text
from handlers.greeting import menu_reply
from handlers.validators import InvalidAnswer, parse_credit_code, parse_name, parse_phone

INTRO = ("招聘报名：请依次告诉我单位名称、统一社会信用代码、联系人和电话、提供给残疾人的岗位和"
         "人数、工作场所的无障碍条件。联系人姓名和电话加密保存，只有区残联和区人社局的工作人员"
         "看得到，只用于安排这场招聘会；回复“取消报名 编号”可以撤回。")


def _company(text: str, ctx: Context) -> str:
    value = free_text(text, ctx)
    if len(value) < 4 or len(value) > 100:
        raise InvalidAnswer("请发单位的全称（营业执照上的名称），例如：天津某某科技有限公司。")
    return value


def _credit(text: str, ctx: Context) -> str:
    return parse_credit_code(text)


def _name(text: str, ctx: Context) -> str:
    return parse_name(text)


def _phone(text: str, ctx: Context) -> str:
    return parse_phone(text)


def _positions(text: str, ctx: Context) -> str:
    value = free_text(text, ctx)
    if not any(ch.isdigit() for ch in value) and not any(ch in value for ch in "一二三四五六七八九十"):
        raise InvalidAnswer("请写上每个岗位招几个人，例如：客服2人，包装工3人。")
    return value


def _done(ctx: Context, answers: dict[str, Any]) -> Reply:
    event_id = int(answers["event_id"])
    result = employer_sign_up(
        ctx.session, event_id, ctx.user.user_id, now=ctx.now, company=answers["company"],
        credit_code=answers["credit_code"], contact=answers["contact"], phone=answers["phone"],
        positions=answers["positions"], accommodations=answers.get("accommodations"))
    if result != "ok":
        return menu_reply("很抱歉，这场活动现在不接受招聘报名了（可能已开始、结束或取消）。"
                          "可以回复“人工”联系工作人员。")
    event = ctx.session.get(Event, event_id)
    title = event.title if event else f"活动{event_id}"
    return Reply.text(f"招聘报名成功：{answers['company']}，“{title}”（活动编号{event_id}）。"
                      f"工作人员会通过{mask_phone(answers['phone'])}和您联系展位安排。"
                      f"回复“我的活动”查看，回复“取消报名 {event_id}”撤回。", options=())


FORM = Form("recruit", "招聘报名", done=_done, intro=INTRO, steps=(
    Step("company", "请回复单位名称。", parse=_company, label="单位名称"),
    Step("credit_code", "请回复单位的统一社会信用代码（18位，在营业执照上）。", parse=_credit,
         label="统一社会信用代码"),
    Step("contact", "请回复联系人的姓名。", parse=_name, personal=True, label="联系人"),
    Step("phone", "请回复联系人的电话。", parse=_phone, personal=True, label="联系电话",
         show=mask_phone),
    Step("positions", "请回复提供给残疾人的岗位和人数，例如：客服2人，包装工3人。", parse=_positions,
         label="岗位和人数"),
    Step("accommodations", "请回复工作场所的无障碍条件或便利，例如：无障碍通道、可居家办公、"
         "弹性工时；没有请回复“跳过”。", optional=True, label="无障碍条件"),
))
