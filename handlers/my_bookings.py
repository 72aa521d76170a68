"""我的预约: the person's bookings (still to come first), each cancelled or moved in one short
exchange. A booking number that is not theirs is refused politely."""

from __future__ import annotations

import re

from bot.messages import Incoming, Reply
from bot.router import Context
from db.booking import (BookingRefused, bookings_of, cancel_booking, find_booking,
                        move_booking)
from db.models import Booking, Service, Slot
from db.slots import describe, details
from handlers.booking import FLOW
from handlers.booking_confirm import zone
from handlers.choices import NotAChoice, numbered, parse_choice
from handlers.commands import normalize_command_text as plain

PHRASES = {"我的预约", "查看预约", "查预约", "预约记录", "取消预约", "改约", "改预约", "修改预约",
           "改时间", "我的预约记录"}
REF = re.compile(r"YY[0-9A-Z]{6}", re.IGNORECASE)
TYPED = re.compile(r"(取消预约|取消|改约|改预约|查预约|预约编号|编号)?YY[0-9A-Z]{6}")
STATUS = {"booked": "", "cancelled": "（已取消）", "attended": "（已参加）",
          "no_show": "（未到）"}
LIST_LIMIT = 6


def is_my_bookings(msg: Incoming, ctx: Context) -> bool:
    """Predicate: 我的预约 (any state), or a booking number with 取消/改约 or alone."""
    if msg.kind != "text":
        return False
    word = plain(msg.text)
    return word in PHRASES or bool(TYPED.fullmatch(word.upper()))


def show(msg: Incoming, ctx: Context, before: str = "") -> Reply:
    """The list (future first), or the booking whose number was typed."""
    ctx.conversation.state = None
    ctx.data.clear()
    typed = TYPED.fullmatch(plain(msg.text).upper()) if not before else None
    if typed:
        return _open_ref(ctx, REF.search(typed.group(0)).group(0))
    rows = bookings_of(ctx.session, ctx.user.user_id, now=ctx.now, limit=LIST_LIMIT)
    if not rows:
        return Reply.text("您还没有预约。回复“预约”可以预约评估、培训等服务；回复“菜单”返回。",
                          options=())
    ctx.data["bookings"] = [b.id for b, _, _ in rows]
    lines = [f"{describe(slot, service)}，编号{b.ref}{STATUS.get(b.status, '')}"
             for b, slot, service in rows]
    return FLOW._ask(ctx, "mine", before + "您的预约：\n" + numbered(lines)
                     + "\n要取消或改时间，请回复前面的数字。")


def _open_ref(ctx: Context, ref: str) -> Reply:
    booking = find_booking(ctx.session, ref)
    if booking is None or booking.user_id != ctx.user.user_id:
        return Reply.text(f"没有找到您名下编号为{ref.upper()}的预约，请核对编号。回复“我的预约”"
                          "查看您的全部预约；回复“人工”找工作人员。", options=())
    return _manage(ctx, booking)


def _manage(ctx: Context, booking: Booking) -> Reply:
    slot = ctx.session.get(Slot, booking.slot_id)
    service = ctx.session.get(Service, booking.service_id)
    ctx.data["booking_id"] = booking.id
    if booking.status != "booked" or slot.starts_at <= ctx.now:
        FLOW.finish(ctx)
        return Reply.text(f"预约{booking.ref}：{describe(slot, service)}"
                          f"{STATUS.get(booking.status, '（已结束）') or '（已结束）'}，"
                          "不能再取消或改约。回复“我的预约”看其他预约；回复“菜单”返回。",
                          options=())
    return FLOW._ask(ctx, "manage", f"预约编号{booking.ref}\n{details(service, slot)}\n"
                     "请回复数字：\n1. 取消这个预约\n2. 改到其他时间\n3. 不用了，返回菜单")


def handle(step: str, msg: Incoming, ctx: Context) -> Reply:
    """Answers in the 我的预约 steps: pick a booking, then cancel or move it."""
    typed = TYPED.fullmatch(plain(msg.text).upper())
    if typed:
        return _open_ref(ctx, REF.search(typed.group(0)).group(0))
    if step == "mine":
        ids = ctx.data.get("bookings", [])
        try:
            index = parse_choice(msg.text, [f"第{n}个预约" for n in range(1, len(ids) + 1)])
        except NotAChoice:
            return show(msg, ctx, "请回复预约前面的数字，或发送预约编号（YY开头）。\n")
        booking = ctx.session.get(Booking, ids[index])
        if booking is None or booking.user_id != ctx.user.user_id:
            return show(msg, ctx)
        return _manage(ctx, booking)
    booking = ctx.session.get(Booking, ctx.data.get("booking_id"))
    try:
        choice = parse_choice(msg.text, ["取消这个预约", "改到其他时间", "返回菜单"])
    except NotAChoice:
        return _manage(ctx, booking) if booking else show(msg, ctx)
    if booking is None or choice == 2:
        FLOW.finish(ctx)
        from handlers.greeting import menu_reply

        return menu_reply()
    if choice == 0:
        return _cancel(ctx, booking)
    ctx.data.update({"move": booking.id, "service_id": booking.service_id, "offset": 0,
                     "exclude": booking.slot_id})
    return FLOW.show_slots(ctx, "好的，请选择新的时间。")


def _cancel(ctx: Context, booking: Booking) -> Reply:
    slot = ctx.session.get(Slot, booking.slot_id)
    service = ctx.session.get(Service, booking.service_id)
    actor = "self" if booking.actor == "self" else "family"
    try:
        cancel_booking(ctx.session, booking, actor=actor, now=ctx.now)
    except BookingRefused:
        return _manage(ctx, booking)
    FLOW.finish(ctx)
    return Reply.text(f"已取消预约{booking.ref}：{describe(slot, service)}。名额已经让给其他人。"
                      "回复“预约”可以重新预约；回复“菜单”返回。", options=())


def move_to(ctx: Context, slot_id: int) -> Reply:
    """The new time was chosen: release the old seat and take the new one in one transaction."""
    booking = ctx.session.get(Booking, ctx.data.get("move"))
    if booking is None or booking.user_id != ctx.user.user_id:
        FLOW.finish(ctx)
        return Reply.text("没有找到要改的预约。回复“我的预约”重新查看。", options=())
    actor = "self" if booking.actor == "self" else "family"
    try:
        with ctx.session.begin_nested():
            moved = move_booking(ctx.session, booking, slot_id, actor=actor, now=ctx.now,
                                 zone=zone(ctx))
    except BookingRefused as refused:
        return FLOW.refused(ctx, refused)
    slot = ctx.session.get(Slot, moved.slot_id)
    service = ctx.session.get(Service, moved.service_id)
    FLOW.finish(ctx)
    return Reply.text(f"改约成功！原预约{booking.ref}已取消。\n预约成功，新的预约编号：{moved.ref}\n"
                      f"{details(service, slot)}\n要再改或取消，回复“我的预约”；回复“菜单”返回。",
                      options=())
