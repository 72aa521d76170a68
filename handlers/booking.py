"""服务预约: choose a service, a person (family), a time with seats, confirm with needs.

A small state machine on the forms' machinery (state "booking:<step>", data in the
conversation row), registered in the router's `forms` so 返回, 人工 and 取消 work as in any
form. See booking.mmd beside this file for the flow; 我的预约 is in handlers/my_bookings.py.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.messages import Incoming, Reply
from bot.router import Context
from db.booking import BookingRefused, book
from db.catalogue import find_service, list_services
from db.models import Registration, Service, Slot
from db.slots import describe, details, open_slots
from handlers.choices import NotAChoice, numbered, parse_choice, parse_choices, normalize_text
from handlers.greeting import menu_reply

PAGE = 5
FOOTER = "（回复“返回”回到上一步，“取消”退出，“人工”找工作人员）"
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


def full_details(service: Service, slot: Slot) -> str:
    """What, when, where, accessibility, what to bring."""
    return details(service, slot)


class BookingFlow:
    """The booking conversation (duck-types handlers.forms.Form for the router and commands)."""

    name, title = "booking", "服务预约"

    # -- entering ------------------------------------------------------------------------
    def start(self, msg: Incoming, ctx: Context, *, code: str | None = None) -> Reply:
        """预约 / the menu / "我想约个职业能力评估": the service list, or straight to times."""
        ctx.data.clear()
        service = None
        if code:
            service = ctx.session.scalar(select(Service).where(Service.code == code,
                                                               Service.retired_at.is_(None)))
        elif msg.kind == "text" and msg.text:
            service = find_service(ctx.session, normalize_text(msg.text))
        if service is not None:
            ctx.data["service_id"] = service.id
            return self._after_service(ctx)
        return self._ask_service(ctx)

    def _ask_service(self, ctx: Context, before: str = "") -> Reply:
        services = list_services(ctx.session)
        if not services:
            self.finish(ctx)
            return menu_reply("现在还没有可以预约的服务。需要帮忙请回复“人工”。")
        ctx.data["services"] = [s.id for s in services]
        return self._ask(ctx, "service", (f"{before}\n" if before else "")
                         + "您想预约哪项服务？请回复数字：\n" + numbered([s.name for s in services]))

    def _people(self, ctx: Context) -> list[Registration]:
        return list(ctx.session.scalars(select(Registration).where(
            Registration.user_id == ctx.user.user_id).order_by(Registration.id)).all())

    def _after_service(self, ctx: Context) -> Reply:
        """Whom the booking is for (a family member with several people asks), then times."""
        people = self._people(ctx)
        if len(people) > 1:
            ctx.data["people"] = [p.id for p in people]
            return self._ask(ctx, "whom", "这次为谁预约？请回复数字：\n"
                             + numbered([f"{p.name}（{p.relation}）" for p in people]))
        ctx.data["person"] = people[0].id if people else None
        return self.show_slots(ctx)

    # -- the times -----------------------------------------------------------------------
    def show_slots(self, ctx: Context, before: str = "") -> Reply:
        """The next open times of the chosen service (only with seats), PAGE at a time."""
        service = ctx.session.get(Service, ctx.data["service_id"])
        if service is None or service.retired_at is not None:
            return self._ask_service(ctx, "这项服务已经停止预约了，请选择其他服务。")
        offset = int(ctx.data.get("offset", 0))
        slots = open_slots(ctx.session, service.id, now=ctx.now, limit=PAGE, offset=offset,
                           exclude=ctx.data.get("exclude"))
        if not slots and offset:
            ctx.data["offset"] = 0
            return self.show_slots(ctx, (before + "\n" if before else "") + "没有更多时间了，"
                                   "下面是最近的时间。")
        if not slots:
            self.finish(ctx)
            return Reply.text((before + "\n" if before else "") + f"{service.name}暂时没有可以"
                              "预约的时间，工作人员排好时间后会在这里开放。您可以回复“人工”请"
                              "工作人员联系您，或回复“菜单”返回。", options=())
        ctx.data["slots"] = [s.id for s in slots]
        intro = f"{service.name}：{service.description}\n" if not offset and not before else ""
        text = ((before + "\n" if before else "") + intro + "可以预约的时间：\n"
                + numbered([slot_line(s) for s in slots])
                + "\n请回复数字选择时间；回复0看更多时间。")
        return self._ask(ctx, "slot", text)

    # -- the conversation ----------------------------------------------------------------
    def handle(self, msg: Incoming, ctx: Context) -> Reply | None:
        """Answer a message sent while booking (or managing a booking)."""
        step = (ctx.conversation.state or "").partition(":")[2]
        if step in ("mine", "manage"):
            from handlers import my_bookings

            return my_bookings.handle(step, msg, ctx)
        handler = {"service": self._service, "whom": self._whom, "slot": self._slot,
                   "confirm": self._confirm, "needs": self._needs}.get(step)
        if handler is None:
            return self.start(msg, ctx)
        reply = handler(msg, ctx)
        if step == "needs":  # free text about the person's needs is not kept in the history
            return Reply(reply.texts, reply.options, reply.handler, {**reply.meta,
                                                                     "personal": True})
        return reply

    def _pick(self, msg: Incoming, labels: list[str]) -> int | None:
        try:
            return parse_choice(msg.text, labels)
        except NotAChoice:
            return None

    def _service(self, msg: Incoming, ctx: Context) -> Reply:
        ids = ctx.data.get("services", [])
        services = [ctx.session.get(Service, i) for i in ids]
        index = self._pick(msg, [s.name if s else "" for s in services])
        if index is None:
            named = find_service(ctx.session, normalize_text(msg.text))
            if named is None:
                return self._ask_service(ctx, "请回复服务前面的数字，例如：2。")
            ctx.data["service_id"] = named.id
        else:
            ctx.data["service_id"] = ids[index]
        ctx.data["offset"] = 0
        return self._after_service(ctx)

    def _whom(self, msg: Incoming, ctx: Context) -> Reply:
        ids = ctx.data.get("people", [])
        people = [ctx.session.get(Registration, i) for i in ids]
        index = self._pick(msg, [p.name if p else "" for p in people])
        if index is None:
            return self._ask(ctx, "whom", "请回复数字选择为谁预约：\n" + numbered(
                [f"{p.name}（{p.relation}）" for p in people if p]))
        ctx.data["person"] = ids[index]
        return self.show_slots(ctx)

    def _slot(self, msg: Incoming, ctx: Context) -> Reply:
        word = normalize_text(msg.text)
        if word in ("0", "零", "更多", "看更多", "更多时间"):
            ctx.data["offset"] = int(ctx.data.get("offset", 0)) + PAGE
            return self.show_slots(ctx)
        ids = ctx.data.get("slots", [])
        slots = [ctx.session.get(Slot, i) for i in ids]
        index = self._pick(msg, [describe(s) if s else "" for s in slots])
        if index is None:
            return self.show_slots(ctx, "请回复列表前面的数字选择时间，例如：1（不用输入日期）。")
        slot = slots[index]
        if slot is None or slot.starts_at <= ctx.now or slot.status != "open":
            return self.show_slots(ctx, "这个时间已经过去或取消了，请重新选择。")
        ctx.data["slot_id"] = slot.id
        if ctx.data.get("move"):
            from handlers import my_bookings

            return my_bookings.move_to(ctx, slot.id)
        return self._ask_confirm(ctx)

    def _ask_confirm(self, ctx: Context, before: str = "") -> Reply:
        slot = ctx.session.get(Slot, ctx.data["slot_id"])
        service = ctx.session.get(Service, slot.service_id)
        person = ctx.session.get(Registration, ctx.data["person"]) if ctx.data.get("person") \
            else None
        whom = f"为：{person.name}\n" if person is not None and person.relation != "本人" else ""
        text = (f"{before}\n" if before else "") + "请核对：\n" + full_details(service, slot) \
            + f"\n{whom}确认预约请回复“确认”。\n需要我们提前准备的，请回复数字（可多选，例如：1 2），" \
            "会一起提交：\n" + numbered(NEEDS)
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
            return self._ask(ctx, "needs", f"请用一句话说明需要我们准备什么（{NEEDS_LIMIT}字以内），"
                             "例如：需要低一点的桌子。")
        return self._book(ctx, picked)

    def _needs(self, msg: Incoming, ctx: Context) -> Reply:
        said = msg.text.strip()
        if not said or len(said) > NEEDS_LIMIT:
            return self._ask(ctx, "needs", f"请用{NEEDS_LIMIT}字以内说明需要我们准备什么。")
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
        return Reply.text(f"预约成功！预约编号：{booking.ref}\n{full_details(service, slot)}\n"
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

    # -- the machinery the router and the universal commands use -------------------------
    def _ask(self, ctx: Context, step: str, text: str) -> Reply:
        ctx.conversation.state = f"{self.name}:{step}"
        ctx.data["asked"] = f"{text}\n{FOOTER}"
        return Reply.text(ctx.data["asked"], options=())

    def finish(self, ctx: Context) -> None:
        """Leave the booking conversation."""
        ctx.conversation.state = None
        ctx.data.clear()

    def back(self, ctx: Context) -> Reply:
        """返回: one step back (times → services, confirm → times)."""
        step = (ctx.conversation.state or "").partition(":")[2]
        if step in ("confirm", "needs") and ctx.data.get("service_id"):
            return self.show_slots(ctx)
        if step == "slot" and not ctx.data.get("move"):
            return self._ask_service(ctx)
        self.finish(ctx)
        return menu_reply("已返回。")

    def current_question(self, ctx: Context) -> str:
        """What the person is being asked now."""
        return str(ctx.data.get("asked", ""))


FLOW = BookingFlow()


def start(msg: Incoming, ctx: Context) -> Reply:
    """Route handler: "预约", "服务预约", "我想约个职业能力评估"."""
    return FLOW.start(msg, ctx)


def action(argument: str, msg: Incoming, ctx: Context) -> Reply:
    """Actions "booking:start[:code]" (e.g. offered at the end of a registration)."""
    verb, _, code = argument.partition(":")
    return FLOW.start(msg, ctx, code=code or None) if verb == "start" else FLOW.start(msg, ctx)

