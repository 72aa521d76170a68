"""The end of a form: the summary, confirmed in words, and the numbered list of fields.

At the summary numbers mean nothing (a bare "1" is asked again in words), so "1" never means
both "yes" (as at the steps before) and "change the first item". "修改" lists the fields,
numbered; a number there asks that field again, then the summary comes back.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

from bot.messages import Incoming, Reply
from bot.router import Context
from handlers.choices import NotAChoice, numbered, parse_choice, parse_yes_no
from handlers.commands import normalize_command_text

if TYPE_CHECKING:
    from handlers.forms import Step

CONFIRM = "__confirm"
CHANGE = "__change"  # the numbered list of fields, after "修改" at the summary
SUMMARY_VALUE = 24  # characters of a free-text answer shown in the summary
CONFIRM_WORDS = "都对请回复“确认”提交；要改请回复“修改”。"
CONFIRM_AGAIN = "请回复“确认”提交；要改哪一项，请回复“修改”；回复“重复”再听一遍您填写的信息。"
CHANGE_WORDS = {"修改", "改", "要改", "我要改", "改一下", "修改一下", "有错", "不对", "有误"}
NUMBER_LIKE = re.compile(r"(第|选)?[\d一二两三四五六七八九十]+(个|项|号|条)?")


class Review:
    """Mixed into Form: the summary and the changes made from it."""

    name: str
    steps: tuple[Step, ...]
    value: Callable[[Context, str], Any]
    store: Callable[[Context, str, Any], None]
    _ask: Callable[[Context, Step, str], Reply]
    _complete: Callable[[Context], Reply]

    def review(self, ctx: Context, answers: dict[str, Any], **data: Any) -> Reply:
        """Open saved answers at the list of fields, so any of them can be changed by number."""
        ctx.data.clear()
        ctx.data.update({"trail": [], **data})
        for name, value in answers.items():
            self.store(ctx, name, value)
        return self._change_list(ctx)

    def _shown_steps(self, ctx: Context) -> list[Step]:
        return [s for s in self.steps if s.label and s.when(ctx)]

    def _summary(self, ctx: Context, before: str = "") -> Reply:
        """Every answer as "label：value" lines, then confirm or change in words."""
        ctx.conversation.state = f"{self.name}:{CONFIRM}"
        ctx.data.pop("editing", None)
        lines = [f"{s.label}：{self._shown(ctx, s)}" for s in self._shown_steps(ctx)]
        text = (f"{before}\n" if before else "") + "请核对您填写的信息：\n" + "\n".join(lines) \
            + "\n" + CONFIRM_WORDS
        return Reply.text(text, options=())

    def _change_list(self, ctx: Context, before: str = "") -> Reply:
        """The fields with their values, numbered: a number changes that one."""
        ctx.conversation.state = f"{self.name}:{CHANGE}"
        ctx.data.pop("editing", None)
        lines = [f"{s.label}：{self._shown(ctx, s)}" for s in self._shown_steps(ctx)]
        text = (f"{before}\n" if before else "") + "要修改哪一项？请回复数字：\n" + \
            numbered(lines) + "\n不用修改了，请回复“确认”提交。"
        return Reply.text(text, options=())

    def _shown(self, ctx: Context, step: Step) -> str:
        value = self.value(ctx, step.name)
        if value is None or value == []:
            return "未填写"
        shown = step.show(value) if not isinstance(value, list) else "、".join(value)
        # The summary is for checking and must stay one short message: long notes are cut.
        if len(shown) <= SUMMARY_VALUE:
            return shown
        return f"{shown[:SUMMARY_VALUE]}……（共{len(shown)}字）"

    def _confirm(self, msg: Incoming, ctx: Context) -> Reply:
        """At the summary: 确认 submits, 修改 lists the fields, a field's name asks it."""
        word = normalize_command_text(msg.text)
        if NUMBER_LIKE.fullmatch(word):  # a number here would be ambiguous: ask in words
            ctx.data["brief"] = True
            return Reply.text(CONFIRM_AGAIN, options=())
        if word in CHANGE_WORDS:
            return self._change_list(ctx)
        try:
            if parse_yes_no(msg.text):
                return self._complete(ctx)
            return self._change_list(ctx)
        except NotAChoice:
            pass
        shown = self._shown_steps(ctx)
        try:
            index = parse_choice(re.sub(r"^(修改|改)", "", word), [s.label for s in shown])
        except NotAChoice:
            ctx.data["brief"] = True
            return Reply.text(CONFIRM_AGAIN, options=())
        ctx.data["editing"] = True
        return self._ask(ctx, shown[index], "")

    def _change(self, msg: Incoming, ctx: Context) -> Reply:
        """In the numbered list of fields: a number (or name) asks that field again."""
        shown = self._shown_steps(ctx)
        try:
            if parse_yes_no(msg.text) and not NUMBER_LIKE.fullmatch(
                    normalize_command_text(msg.text)):
                return self._complete(ctx)
        except NotAChoice:
            pass
        try:
            index = parse_choice(msg.text, [s.label for s in shown])
        except NotAChoice as exc:
            return self._change_list(ctx, exc.hint)
        ctx.data["editing"] = True
        return self._ask(ctx, shown[index], "")
