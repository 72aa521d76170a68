"""就业需求登记: who is asking, a separate consent, then the registration ("四个一" service).

See job_demand.mmd beside this file for the flow.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from bot.masking import mask_certificate, mask_phone
from bot.messages import Reply
from bot.router import Context
from db import job_demand as registrations
from db.models import Consent, Registration
from handlers.forms import Form, Step
from handlers.greeting import menu_reply
from handlers.common import notify_staff
from handlers.validators import (InvalidAnswer, UnrecognisedFormat, age_on, parse_certificate,
                                 parse_name, parse_phone)

ROLES = {"残疾人本人": "jobseeker", "家属，替家人办理": "family", "用人单位（企业人事）": "employer"}
RELATIONS = ("监护人（如父母、配偶等）", "受委托的家属")
EDUCATION = ("小学及以下", "初中", "高中、中专或职高", "大专", "本科及以上")
JOB_KINDS = ("手工制作", "客服、电话服务", "按摩、保健", "保洁、后勤", "办公文员", "电商、网络销售",
             "其他")
MODES = ("全日制", "非全日制", "居家就业", "辅助性就业", "自主创业")
MIN_AGE = 16
ONLY_SECOND_GENERATION = ("这里只能登记第二代残疾人证号：20位，是身份证号（18位）加残疾类别、"
                          "等级各1位，在残疾人证第一页。请核对后再发一次；证件不是这种格式的，"
                          "请回复“人工”，工作人员帮您登记。")
OTHER_FORMAT_NOTE = ("这个证号和第二代残疾人证号（20位）的格式不一样，可能是其他版本的证件。"
                     "登记提交后，我会请工作人员帮您核对，不影响登记。\n")

CONSENT = ("办理就业登记需要收集敏感个人信息，请您单独确认是否同意：\n"
           "收集什么：姓名、残疾人证号（含残疾类别和等级）、联系电话、街道、文化程度、求职意向。\n"
           "为什么：只用于为{whom}提供就业服务。\n"
           "谁能看到：区残联和区人社局的工作人员。\n"
           "保存多久：{keep}。\n"
           "怎么撤回：随时回复“我的信息”，可以查看、修改、撤回同意并删除全部信息。\n"
           "不同意也可以继续使用政策咨询等其他服务。")
CONSENT_AGAIN = "请回复1同意，2不同意；回复“重复”再听一遍说明。"


def _whose(ctx: Context) -> str:
    """Who the personal questions are about: "您", or "残疾人本人" when family fills it in."""
    return "残疾人本人" if ctx.user.role == "family" else "您"


def _about(text: str):  # type: ignore[no-untyped-def]
    """A prompt about the person registered: "{who}住在哪个街道？"."""
    return lambda ctx: text.format(who=_whose(ctx))


def _role_known(ctx: Context) -> bool:
    return ctx.user.role in ("jobseeker", "family", "employer")


def _set_role(value: str, ctx: Context) -> Reply | None:
    ctx.user.role = ROLES[value]
    if ctx.user.role == "employer":
        FORM.finish(ctx)
        return menu_reply("就业需求登记是为残疾人求职者办理的。用人单位可以直接问我按比例安排就业、"
                          "残疾人就业保障金的政策，或回复“算一下保障金”估算应缴金额。")
    return None


def _consent_prompt(ctx: Context) -> str:
    days = ctx.services.settings.retention.message_days
    whom = "您的家人" if ctx.user.role == "family" else "您"
    return CONSENT.format(whom=whom, keep=f"登记有效期间保存；聊天记录保存{days}天后自动删除")


def _consented(value: str, ctx: Context) -> Reply | None:
    if value != "同意":
        granted = ctx.data.get("consent_id")  # given earlier, then 返回 and refused: withdrawn
        if granted and (consent := ctx.session.get(Consent, granted)) is not None:
            consent.withdrawn_at = ctx.now
        FORM.finish(ctx)
        return menu_reply("好的，我们不会收集您的个人信息。政策咨询等其他服务照常可以用。")
    relation = "本人" if ctx.user.role != "family" else \
        ("监护人" if str(FORM.value(ctx, "relation")).startswith("监护人") else "受委托的家属")
    consent = Consent(user_id=ctx.user.user_id, purpose="job_registration", relation=relation,
                      granted_at=ctx.now)
    ctx.session.add(consent)
    ctx.session.flush()
    ctx.data["consent_id"] = consent.id
    return None


def _certificate(text: str, ctx: Context) -> dict[str, Any]:
    try:
        cert = parse_certificate(text, today=ctx.today)
    except UnrecognisedFormat as exc:
        number = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum()).upper()
        if re.fullmatch(r"\d{17}[\dX]", number):
            raise InvalidAnswer(exc.hint) from None  # an ID number: a slip, so ask again
        raise InvalidAnswer(ONLY_SECOND_GENERATION) from None  # staff register other cards
    return {"number": cert.number, "checked": True, "category": cert.category,
            "grade": cert.grade, "birth": cert.birth_date.isoformat()}


def _certificate_read(value: dict[str, Any], ctx: Context) -> Reply | None:
    if not value["checked"]:
        return None  # another format: staff check it after the registration
    if age_on(date.fromisoformat(value["birth"]), ctx.today) < MIN_AGE:
        FORM.finish(ctx)
        return Reply.text("谢谢您的信任。按照规定，就业登记从年满16周岁开始办理，现在还不能登记。"
                          "孩子的康复、教育等问题，可以回复“人工”请工作人员帮您；回复“菜单”返回。",
                          options=())
    return None


def _certificate_prompt_check(ctx: Context) -> str:
    cert = FORM.value(ctx, "certificate")
    year = cert["birth"][:4]
    return (f"我读到的是：{cert['category']}残疾{cert['grade']}，出生于{year}年"
            f"（{mask_certificate(cert['number'])}）。对吗？")


def _certificate_checked(value: str, ctx: Context) -> Reply | None:
    if value == "对":
        return None
    return FORM.goto(ctx, "certificate", "好的，请重新发送残疾人证号。")


def _phone_prompt(ctx: Context) -> str:
    cert = FORM.value(ctx, "certificate") or {}
    note = OTHER_FORMAT_NOTE if cert and not cert.get("checked") else ""
    whose = "（您的或残疾人本人的都可以）" if ctx.user.role == "family" else ""
    return note + f"请回复一个联系电话{whose}，手机号或天津的固定电话都可以。"


def _streets(ctx: Context) -> list[str]:
    return [*ctx.services.settings.district.streets, "其他街道或不在河北区"]


TAKEN = ("这个残疾人证号已经登记过了。为保护登记人的信息，我不能查看或修改这份登记。"
         "如果是您本人或家人的证，请回复“人工”，工作人员核实后帮您处理；"
         "如果证号输错了，请重新发送。")


def _values(ctx: Context, answers: dict[str, Any]) -> dict[str, Any]:
    """The registration's columns from the form's answers."""
    cert = answers["certificate"]
    relation = "本人" if ctx.user.role != "family" else \
        ("监护人" if str(answers.get("relation", "")).startswith("监护人") else "受委托的家属")
    return {"relation": relation, "name": answers["name"], "certificate": cert["number"],
            "phone": answers["phone"], "certificate_checked": cert["checked"],
            "category": cert.get("category"), "grade": cert.get("grade"),
            "birth_year": int(cert["birth"][:4]) if cert.get("birth") else None,
            "street": answers["street"], "education": answers["education"],
            "job_kinds": "、".join(answers["job_kinds"]),
            "employment_modes": "、".join(answers["modes"]),
            "skills": answers.get("skills"), "accessibility": answers.get("accessibility")}


def _save(ctx: Context, answers: dict[str, Any]) -> Reply:
    cert = answers["certificate"]
    values = _values(ctx, answers)
    if ctx.data.get("consent_id"):
        values["consent_id"] = ctx.data["consent_id"]
    try:
        row, updated = registrations.save(
            ctx.session, user_id=ctx.user.user_id, now=ctx.now, values=values,
            digest=ctx.services.cipher.keyed_hash(cert["number"]),
            registration_id=ctx.data.get("registration_id"))
    except registrations.CertificateTaken:  # someone else's: say only that, offer a person
        ctx.data["editing"] = True
        return FORM.goto(ctx, "certificate", TAKEN)
    if not cert["checked"]:  # another format: a person checks it, nobody is left stuck
        notify_staff(ctx, reason="certificate", urgent=False,
                     note=f"登记编号{row.ref}的残疾人证号格式不同，请核对。")
    done = "已更新之前的登记" if updated else "登记成功"
    check = "证号由工作人员核对后生效。" if not cert["checked"] else ""
    return Reply.text(f"{done}！登记编号：{row.ref}。{check}\n接下来：区残联工作人员会通过"
                      f"{mask_phone(answers['phone'])}联系您，安排职业能力评估和就业服务。\n"
                      "“四个一”的下一步是职业能力评估，现在就可以预约：回复1预约职业能力评估。\n"
                      "回复“我的信息”可以查看、修改或删除登记；回复“菜单”返回。",
                      options=("booking:start:assessment",))


def _not_for_employers(ctx: Context) -> Reply | None:
    if ctx.user.role != "employer":
        return None
    return menu_reply("就业需求登记是为残疾人求职者办理的。如果您是残疾人本人或家属，请回复"
                      "“修改身份”。用人单位可以直接问我按比例安排就业和保障金的政策。")


FORM = Form(
    name="register", title="就业登记", done=_save, guard=_not_for_employers,
    intro="好的，我们来办理就业需求登记。需要填写姓名、残疾人证号、联系电话和求职意向，大约3分钟。",
    steps=(
        Step("role", "请问您是：", choices=tuple(ROLES), when=lambda ctx: not _role_known(ctx),
             after=_set_role),
        Step("relation", "您和这位残疾人是什么关系？", choices=RELATIONS,
             when=lambda ctx: ctx.user.role == "family"),
        Step("consent", _consent_prompt, choices=("同意", "不同意"), after=_consented,
             reprompt=CONSENT_AGAIN),
        Step("name", _about("请回复{who}的姓名。"), parse=lambda text, ctx: parse_name(text),
             personal=True, label="姓名"),
        Step("certificate", _about("请回复{who}的残疾人证号（20位，在残疾人证第一页）。"),
             parse=_certificate, personal=True, label="残疾人证", after=_certificate_read,
             chain=True, show=lambda cert: mask_certificate(cert["number"])),
        Step("certificate_ok", _certificate_prompt_check, choices=("对", "不对，重新输入"),
             when=lambda ctx: bool((FORM.value(ctx, "certificate") or {}).get("checked")),
             after=_certificate_checked),
        Step("phone", _phone_prompt,
             parse=lambda text, ctx: parse_phone(text), personal=True, label="联系电话",
             show=mask_phone),
        Step("street", _about("{who}住在哪个街道？"), choices=_streets, label="所在街道"),
        Step("education", _about("{who}的文化程度是？"), choices=EDUCATION, label="文化程度"),
        Step("job_kinds", _about("{who}想做哪类工作？"), choices=JOB_KINDS, multiple=True,
             label="求职意向"),
        Step("modes", "希望怎样就业？", choices=MODES, multiple=True, label="就业方式"),
        Step("skills", _about("{who}有什么技能或证书？"), optional=True, label="技能和证书"),
        Step("accessibility", _about("{who}工作中需要哪些无障碍支持？例如读屏软件、手语翻译。"),
             optional=True, label="无障碍需求"),
    ),
)



def resume_registration(ctx: Context, row: Registration) -> Reply:
    """Open a saved registration at its summary to correct a field (saving updates it)."""
    cert: dict[str, Any] = {"number": row.certificate, "checked": row.certificate_checked}
    if row.certificate_checked:
        parsed = parse_certificate(row.certificate, today=ctx.today)
        cert.update(category=parsed.category, grade=parsed.grade,
                    birth=parsed.birth_date.isoformat())
    answers = {"name": row.name, "certificate": cert, "phone": row.phone, "street": row.street,
               "education": row.education, "job_kinds": row.job_kinds.split("、"),
               "modes": row.employment_modes.split("、"), "skills": row.skills,
               "accessibility": row.accessibility}
    if row.relation != "本人":
        answers["relation"] = RELATIONS[0] if row.relation == "监护人" else RELATIONS[1]
    return FORM.review(ctx, answers, consent_id=row.consent_id, registration_id=row.id)
