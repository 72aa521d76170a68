"""我的信息: see what is stored, correct it, change who you are, withdraw consent and delete.

Deletion erases the bookings (seats to come given back), registrations, consents, handoffs, unanswered questions, outbound
messages and the user's row, and anonymises the inbound de-duplication keys (their text is
removed). One audit row keeps only that a deletion happened, under a keyed hash.
"""

from __future__ import annotations

from sqlalchemy import Text, delete, or_, select, type_coerce, update

from bot.masking import mask_certificate, mask_phone
from bot.messages import Incoming, Reply
from bot.router import Context
from db.booking import erase_bookings
from db.models import (AuditLog, Consent, Conversation, Handoff, InboundMessage, OutboundMessage,
                       Registration, UnansweredQuestion, User)
from db.signups import forget_person
from db.state import erased_delivery_key
from handlers import job_demand
from handlers.common import open_form
from handlers.greeting import menu_reply
from handlers.commands import normalize_command_text as plain

WANTS = {"删除我的信息": "delete", "删除我的资料": "delete", "删除我的登记": "delete",
         "删除信息": "delete", "删除我的个人信息": "delete", "撤回同意": "delete",
         "撤回我的同意": "delete", "修改身份": "role"}  # straight to that choice
PHRASES = {"我的信息", "我的资料", "我的登记", "查看我的信息", "查看我的登记", "修改我的信息",
           "个人信息", "隐私", *WANTS}
LABELS = {"show": "查看我的信息", "delete": "删除我的信息", "role": "修改我的身份"}
SHOW_LIMIT = 380  # characters of registrations shown before the numbered options
ROLE_NAMES = {"jobseeker": "残疾人本人", "family": "家属", "employer": "用人单位",
              "unknown": "还没有说明"}


def is_my_data(msg: Incoming, ctx: Context) -> bool:
    """Predicate: the message asks for the person's own data (any state)."""
    return msg.kind == "text" and plain(msg.text) in PHRASES


def registrations(ctx: Context) -> list[Registration]:
    """Registrations made by this WeCom user (for themselves or for family members)."""
    return list(ctx.session.scalars(select(Registration)
                                    .where(Registration.user_id == ctx.user.user_id)
                                    .order_by(Registration.id)).all())


def show(msg: Incoming, ctx: Context) -> Reply:
    """我的信息 (or 删除…, 修改身份) in any state: a form half filled is not thrown away unasked."""
    wanted = WANTS.get(plain(msg.text), "show")
    form = open_form(ctx)
    if form is not None:
        return form.ask_to_leave(ctx, LABELS[wanted], f"mydata:{wanted}")
    if ctx.conversation.state:  # a state of no form: end it, so "1"/"2" pick from this list
        ctx.conversation.state = None
        ctx.data.clear()
    return action(wanted, msg, ctx)


def stored(ctx: Context) -> Reply:
    """What is stored, masked so a screen reader reads it well, and what can be done."""
    rows = registrations(ctx)
    lines = [f"您的身份：{ROLE_NAMES.get(ctx.user.role, '还没有说明')}。"]
    if not rows:
        lines.append("您还没有就业登记，我们没有保存您的姓名、证号或电话。")
    for n, row in enumerate(rows, 1):
        line = (f"登记{n}（编号{row.ref}）：{row.name}，{mask_certificate(row.certificate)}，"
                f"{mask_phone(row.phone)}，{row.street}，求职意向：{row.job_kinds}。")
        if sum(map(len, lines)) + len(line) > SHOW_LIMIT:  # keep the options in the message
            lines.append(f"还有{len(rows) - n + 1}份登记，选1修改时可以逐份查看。")
            break
        lines.append(line)
    lines.append("请回复数字：\n1. 修改登记信息\n2. 撤回同意并删除我的全部信息\n3. 修改我的身份\n"
                 "4. 返回菜单")
    return Reply.text("\n".join(lines),
                      options=("mydata:edit", "mydata:delete", "mydata:role", "menu:show"))


def action(argument: str, msg: Incoming, ctx: Context) -> Reply:
    """The choices of 我的信息: edit, delete (asked twice), change role."""
    verb, _, rest = argument.partition(":")
    if verb == "show":
        return stored(ctx)
    if verb == "edit":
        return edit(rest, msg, ctx)
    if verb == "delete":
        return Reply.text("确定要撤回同意并删除您的全部信息吗？删除后不能恢复。请回复数字：\n"
                          "1. 确定删除\n2. 不删了，返回菜单",
                          options=("mydata:erase", "menu:show"))
    if verb == "erase":
        return erase(ctx)
    return change_role(rest, msg, ctx)


def edit(which: str, msg: Incoming, ctx: Context) -> Reply:
    """Open a registration's summary in the form, so any field can be changed by its number."""
    rows = registrations(ctx)
    if not rows:
        return menu_reply("您还没有登记信息。需要登记请回复“就业登记”。")
    if len(rows) > 1 and not which:
        listing = "\n".join(f"{n}. {row.name}（编号{row.ref}）" for n, row in enumerate(rows, 1))
        return Reply.text(f"要修改哪一份登记？请回复数字：\n{listing}",
                          options=tuple(f"mydata:edit:{row.id}" for row in rows))
    row = next((r for r in rows if str(r.id) == which), rows[0])
    return job_demand.resume_registration(ctx, row)


def change_role(choice: str, msg: Incoming, ctx: Context) -> Reply:
    """Ask (or set) whether the person is the jobseeker, a family member or an employer."""
    roles = list(job_demand.ROLES.values())
    if choice in roles:
        ctx.user.role = choice
        return menu_reply(f"已把您的身份改为：{ROLE_NAMES[choice]}。")
    names = list(job_demand.ROLES)
    listing = "\n".join(f"{n}. {name}" for n, name in enumerate(names, 1))
    return Reply.text(f"请问您是：\n{listing}\n（回复“菜单”返回）",
                      options=tuple(f"mydata:role:{role}" for role in roles))


def erase(ctx: Context) -> Reply:
    """Withdraw consent and delete everything about this user; keep one keyed-hash audit row."""
    user_id, session = ctx.user.user_id, ctx.session
    digest = ctx.services.cipher.keyed_hash(user_id)
    anonymous = f"erased-{digest[:16]}"
    erase_bookings(session, user_id, now=ctx.now)  # seats to come are given back first
    for model in (Registration, Consent, Handoff, UnansweredQuestion, OutboundMessage):
        session.execute(delete(model).where(model.user_id == user_id))
    forget_person(session, user_id)  # subscriptions, sign-ups (seats given back)
    # Handoff notices to staff quote the person's id and recent messages (rows from before
    # `about_user` hold their text in clear: found by it).
    legacy = type_coerce(OutboundMessage.text, Text).contains(f"用户 {user_id} 请求人工服务")
    session.execute(delete(OutboundMessage).where(
        or_(OutboundMessage.about_user == user_id, legacy)))
    session.execute(update(InboundMessage).where(InboundMessage.user_id == user_id)
                    .values(user_id=anonymous, text=None))
    events = session.execute(select(InboundMessage.id, InboundMessage.delivery_key).where(
        InboundMessage.delivery_key.startswith(f"evt:{user_id}|", autoescape=True)))
    for row_id, key in events.all():
        session.execute(update(InboundMessage).where(InboundMessage.id == row_id).values(
            delivery_key=erased_delivery_key(key, ctx.services.cipher.keyed_hash)))
    session.add(AuditLog(action="erase", subject_hash=digest, detail="用户撤回同意并删除全部信息",
                         at=ctx.now))
    session.execute(delete(Conversation).where(Conversation.user_id == user_id))
    session.execute(delete(User).where(User.user_id == user_id))
    reply = Reply.text("已撤回同意，并删除了您的全部登记信息和聊天记录。以后需要服务，随时发消息给我；"
                       "回复“菜单”看全部服务。", options=())
    return Reply(reply.texts, reply.options, reply.handler, {"erased": anonymous})
