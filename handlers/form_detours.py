"""Detours inside a form: "其他" asks what it is; another service asks before leaving; "你是谁"
or "你能干啥" typed instead of an answer is answered, then the question comes again."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

from bot.messages import Incoming, Reply
from bot.router import Context
from handlers.choices import NotAChoice, parse_choice
from handlers.commands import Command, parse_command

if TYPE_CHECKING:
    from handlers.forms import Step

OTHER_MAX = 20  # characters kept of what "其他" is (a street column holds 32)
OTHER = "您选了“{option}”，具体是什么？请简单回复（{limit}字以内）；不想说可以回复“跳过”。"
LEAVE = ("您的{title}还没有完成，{label}会结束这次填写，已填的内容不保存。请回复数字：\n"
         "1. 继续填写\n2. {label}")
# Another service asked for by name in the middle of a form (its menu action "menu:<name>").
SERVICES = {"register": "就业登记", "booking": "预约服务", "levy": "估算保障金",
            "subscribe": "订阅活动通知"}


def other_option(value: Any) -> str | None:
    """The "其他…" option among the picked ones, if any."""
    picked = value if isinstance(value, list) else [value]
    return next((v for v in picked if isinstance(v, str) and v.startswith("其他")), None)


class Detours:
    """Mixed into Form: the question after "其他", and "1 继续填写 2 …" before leaving."""

    name: str
    title: str
    finish: Callable[[Context], None]
    current_question: Callable[[Context], str]
    _advance: Callable[[Context, Step, Any], Reply]

    def ask_other(self, ctx: Context, value: Any) -> Reply:
        """An option starting with "其他" was picked: ask what it is."""
        ctx.data["other"] = value
        return Reply.text(OTHER.format(option=other_option(value), limit=OTHER_MAX), options=())

    def aside(self, msg: Incoming, ctx: Context, again: str) -> Reply | None:
        """Not an answer but "你是谁" / "你能帮我干啥" (answered, then `again`, the question),
        or a request for another service (asked before leaving); None for anything else."""
        from handlers.intents import intent_of  # handlers.intents imports the forms
        from handlers.texts import text
        from knowledge import scope

        if scope.smalltalk(msg.text) in ("who_are_you", "capabilities"):
            return Reply.text(text("who_are_you"), f"我们接着{self.title}。\n{again}",
                              options=())
        wanted = intent_of(msg.text)
        if wanted in SERVICES and wanted != self.name:
            return self.ask_to_leave(ctx, SERVICES[wanted], f"menu:{wanted}")
        return None

    def ask_to_leave(self, ctx: Context, label: str, action: str) -> Reply:
        """Before another service ends the form: 1 继续填写, 2 `label` (then run `action`)."""
        ctx.data["leaving"] = {"label": label, "action": action}
        return Reply.text(LEAVE.format(title=self.title, label=label), options=())

    def leave(self, msg: Incoming, ctx: Context) -> Reply:
        """The answer to "1 继续填写 2 <another service>"."""
        leaving = ctx.data.pop("leaving")
        try:
            go = parse_choice(msg.text, ["继续填写", leaving["label"]]) == 1
        except NotAChoice:
            ctx.data["leaving"] = leaving
            return Reply.text(f"请回复1继续填写，或回复2{leaving['label']}。", options=())
        if go:
            self.finish(ctx)
            return ctx.services.router.run_action(leaving["action"], msg, ctx)
        return Reply.text("好的，我们接着填写。\n" + self.current_question(ctx), options=())

    def other_detail(self, msg: Incoming, ctx: Context, step: Step) -> Reply:
        """The answer to "其他是什么": kept (bounded) beside the option, or skipped."""
        value = ctx.data.pop("other")
        option = other_option(value)
        if parse_command(msg.text) != Command.SKIP:
            detail = re.sub(r"\s+", " ", msg.text).strip().replace("、", "，")[:OTHER_MAX]
            named = f"{option}：{detail}" if detail else option
            value = [named if v == option else v for v in value] \
                if isinstance(value, list) else named
        return self._advance(ctx, step, value)
