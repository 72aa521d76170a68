"""服务预约: choose a service, a person (family), a time with seats, confirm with needs.

A small state machine on the forms' machinery (state "booking:<step>", data in the
conversation row), registered in the router's `forms` so 返回, 人工 and 取消 work as in any
form. See booking.mmd beside this file for the flow; 我的预约 is in handlers/my_bookings.py.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.messages import Incoming, Reply
from bot.router import Context
from db.catalogue import find_service, list_services
from db.models import Registration, Service, Slot
from db.slots import describe, open_slots
from handlers.booking_confirm import ConfirmSteps, slot_line
from handlers.choices import NotAChoice, numbered, parse_choice, normalize_text
from handlers.greeting import menu_reply

PAGE = 5
FOOTER = "（回复“返回”回到上一步，“取消”退出，“人工”找工作人员）"


class BookingFlow(ConfirmSteps):
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
                         + "您想预约哪项服务？\n" + numbered([s.name for s in services])
                         + "\n请回复数字。")

    def _people(self, ctx: Context) -> list[Registration]:
        return list(ctx.session.scalars(select(Registration).where(
            Registration.user_id == ctx.user.user_id).order_by(Registration.id)).all())

    def _after_service(self, ctx: Context) -> Reply:
        """Whom the booking is for (a family member with several people asks), then times."""
        people = self._people(ctx)
        if len(people) > 1:
            ctx.data["people"] = [p.id for p in people]
            return self._ask(ctx, "whom", "这次为谁预约？\n"
                             + numbered([f"{p.name}（{p.relation}）" for p in people])
                             + "\n请回复数字。")
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
            return self._ask(ctx, "whom", "这次为谁预约？\n" + numbered(
                [f"{p.name}（{p.relation}）" for p in people if p]) + "\n请回复数字。")
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

    # -- the machinery the router and the universal commands use -------------------------
    def _ask(self, ctx: Context, step: str, text: str) -> Reply:
        """Ask `text` at `step`; what 返回, 取消 and 人工 do is said once, with the first
        question (帮助 says it again), as the forms do."""
        ctx.conversation.state = f"{self.name}:{step}"
        ctx.data["asked"] = text
        if ctx.data.get("told_way_back"):
            return Reply.text(text, options=())
        ctx.data["told_way_back"] = True
        return Reply.text(f"{text}\n{FOOTER}", options=())

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

