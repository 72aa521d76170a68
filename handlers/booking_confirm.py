"""The last steps of a booking: check the details, state needs, take the seat (or say why not).

A mixin of `handlers.booking.BookingFlow` (which gives `_ask`, `show_slots`, `_ask_service`,
`finish`): kept apart so each module stays one room.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.messages import Incoming, Reply
from bot.router import Context
from db.booking import BookingRefused, book
from db.models import Registration, Service, Slot
from db.slots import describe, details
from handlers.choices import NotAChoice, normalize_text, numbered, parse_choices

NEEDS = ("手语翻译", "轮椅通行", "有人陪同", "其他需要（文字说明）")
NO_NEEDS = {"确认", "确定", "好", "好的", "是", "可以", "对", "行", "ok", "没有", "无", "不需要",
            "都不需要", "没有需要", "确认预约"}
NEEDS_LIMIT = 100


def zone(ctx: Context) -> ZoneInfo:
    """The time zone people's times are shown in."""
    return ZoneInfo(ctx.services.settings.bot.timezone)


def slot_line(slot: Slot) -> str:
    """One numbered choice: when, where (short), seats left."""
    place = slot.place if len(slot.place) <= 24 else slot.place[:24] + "……"
    return f"{describe(slot)}，{place}，剩{slot.capacity - slot.taken}个名额"


class ConfirmSteps:
    """Steps "booking:confirm" and "booking:needs", and the seat itself."""

    def _ask_confirm(self, ctx: Context, before: str = "") -> Reply:
        slot = ctx.session.get(Slot, ctx.data["slot_id"])
        service = ctx.session.get(Service, slot.service_id)
        person = ctx.session.get(Registration, ctx.data["person"]) if ctx.data.get("person") \
            else None
        whom = f"为：{person.name}\n" if person is not None and person.relation != "本人" else ""
        text = (f"{before}\n" if before else "") + "请核对：\n" + details(service, slot) \
            + f"\n{whom}需要我们提前准备的，请回复数字（可多选，例如：1 2），会一起提交：\n" \
            + numbered(NEEDS) + "\n都不需要，请回复“确认”完成预约。"
        return self._ask(ctx, "confirm", text)

    def _confirm(self, msg: Incoming, ctx: Context) -> Reply:
        if normalize_text(msg.text) in NO_NEEDS:
            return self._book(ctx, [])
        try:
            picked = [NEEDS[i] for i in parse_choices(msg.text, NEEDS)]
        except NotAChoice:
            return self._ask_confirm(ctx, "请回复“确认”预约，或回复需要准备的事项前面的数字。")
        if NEEDS[-1] in picked:
            ctx.data["needs"] = picked[:-1]
            return self._ask(ctx, "needs", f"请用一句话回复需要我们准备什么（{NEEDS_LIMIT}字以内），"
                             "例如：需要低一点的桌子。")
        return self._book(ctx, picked)

    def _needs(self, msg: Incoming, ctx: Context) -> Reply:
        said = msg.text.strip()
        if not said or len(said) > NEEDS_LIMIT:
            return self._ask(ctx, "needs", f"请用{NEEDS_LIMIT}字以内回复需要我们准备什么。")
        return self._book(ctx, [*ctx.data.get("needs", []), said])

    def _book(self, ctx: Context, needs: list[str]) -> Reply:
        person = ctx.session.get(Registration, ctx.data["person"]) if ctx.data.get("person") \
            else None
        actor = "family" if person is not None and person.relation != "本人" else "self"
        try:
            with ctx.session.begin_nested():
                booking = book(ctx.session, user_id=ctx.user.user_id,
                               slot_id=ctx.data["slot_id"], now=ctx.now, actor=actor,
                               registration_id=person.id if person else None,
                               needs="、".join(needs) or None, zone=zone(ctx))
        except BookingRefused as refused:
            return self.refused(ctx, refused)
        slot = ctx.session.get(Slot, booking.slot_id)
        service = ctx.session.get(Service, slot.service_id)
        self.finish(ctx)
        whom = f"为：{person.name}\n" if actor == "family" else ""
        noted = f"已记下：{'、'.join(needs)}\n" if needs else ""
        return Reply.text(f"预约成功！预约编号：{booking.ref}\n{details(service, slot)}\n"
                          f"{whom}{noted}我们会在前一天傍晚和开始前2小时提醒您。要取消或改时间，"
                          "回复“我的预约”；回复“菜单”返回。", options=())

    def refused(self, ctx: Context, refused: BookingRefused) -> Reply:
        """Why the seat could not be taken, and the next step (other times, 我的预约, 菜单)."""
        if refused.reason == "full":
            ctx.data["exclude"], ctx.data["offset"] = ctx.data.get("slot_id"), 0
            return self.show_slots(ctx, "抱歉，这个时间刚刚已约满。")
        if refused.reason == "same_day" and refused.existing is not None:
            existing = refused.existing
            slot = ctx.session.get(Slot, existing.slot_id)
            service = ctx.session.get(Service, existing.service_id)
            self.finish(ctx)
            return Reply.text(f"同一天同一项服务只能约一次：您已经有{describe(slot, service)}的预约"
                              f"（预约编号{existing.ref}）。要换时间，请回复“我的预约”改约；"
                              "回复“菜单”返回。", options=())
        if refused.reason == "retired":
            return self._ask_service(ctx, "抱歉，这项服务刚刚停止预约了，已有的预约不受影响。"
                                     "请选择其他服务，或回复“人工”。")
        return self.show_slots(ctx, "这个时间已经过去或取消了，请重新选择。")
