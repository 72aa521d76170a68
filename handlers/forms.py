"""Multi-step conversations as data: a Form is a tuple of Steps; the state is "form:step".

The state and answers live in the `conversations` row (db), so a restart or another worker
loses nothing. Personal answers are stored encrypted. The universal commands are routed
before the form (菜单, 取消, 人工, 帮助, 重复); 返回 calls `Form.back`; 跳过 / 不知道 skip an
optional step. An answer that does not fit gets a friendly hint and the same question; a
question typed at a choice step is answered from the knowledge base and the step asked again.
After `resume_after_minutes` away the person is asked whether to continue or start over.
What 返回, 取消 and 人工 do is said once, when the form starts (and in 帮助), not at every step.
A "其他" option asks what, and keeps the answer. The summary is confirmed in words (确认/修改):
numbers there pick only from the list that "修改" shows, so "1" never means both "yes" and
"change the first item".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Sequence

from bot.messages import Incoming, Reply
from bot.router import Context
from handlers.choices import NotAChoice, numbered, parse_choice, parse_choices
from handlers.commands import Command, normalize_command_text, parse_command
from handlers.form_detours import LEAVE, OTHER, OTHER_MAX, Detours, other_option
from handlers.form_review import CHANGE, CONFIRM, Review
from handlers.validators import InvalidAnswer
from knowledge.curation import render_answer

FOOTER = "（办理中随时可以回复“返回”回到上一步，“取消”退出，“人工”找工作人员）"
RESUME = "您上次的{title}还没有完成。请回复：\n1. 继续上次的\n2. 重新开始"


def free_text(text: str, ctx: Context) -> str:
    """Any non-empty text up to 200 characters."""
    value = text.strip()
    if not value:
        raise InvalidAnswer("请输入文字内容。")
    if len(value) > 200:
        raise InvalidAnswer("内容有点长，请控制在200字以内。")
    return value


@dataclass(frozen=True)
class Step:
    """One question of a form."""

    name: str
    prompt: str | Callable[[Context], str]
    parse: Callable[[str, Context], Any] = free_text
    choices: Sequence[str] | Callable[[Context], Sequence[str]] = ()
    multiple: bool = False
    optional: bool = False
    personal: bool = False  # stored encrypted; the message itself is not kept in history
    label: str = ""  # shown in the summary when set
    show: Callable[[Any], str] = str
    when: Callable[[Context], bool] = lambda ctx: True
    chain: bool = False  # when changed from the summary, ask the next step too (a check)
    after: Callable[[Any, Context], Reply | None] | None = None  # may end or divert the form
    reprompt: str = ""  # said instead of the whole (long) question after an answer that misfits

    def options(self, ctx: Context) -> list[str]:
        """The numbered choices of this step ([] for free text)."""
        return list(self.choices(ctx) if callable(self.choices) else self.choices)

    def question(self, ctx: Context) -> str:
        """The prompt, its numbered choices and how to answer: the turn ends with "回复…"."""
        prompt = self.prompt(ctx) if callable(self.prompt) else self.prompt
        options = self.options(ctx)
        if options:
            how = "可以多选，请回复数字，例如：1 3" if self.multiple else "请回复数字。"
            prompt = f"{prompt}\n{numbered(options)}\n{how}"
        return prompt + ("\n没有或不清楚，可以回复“跳过”。" if self.optional else "")

    def read(self, text: str, ctx: Context) -> Any:
        """Parse the answer; InvalidAnswer carries the hint."""
        options = self.options(ctx)
        if options and self.multiple:
            return [options[i] for i in parse_choices(text, options)]
        if options:
            return options[parse_choice(text, options)]
        return self.parse(text, ctx)


@dataclass
class Form(Review, Detours):
    """A named sequence of steps, a summary to confirm, and what to do when done."""

    name: str
    title: str
    steps: tuple[Step, ...]
    done: Callable[[Context, dict[str, Any]], Reply]
    intro: str = ""
    confirm: bool = True
    guard: Callable[[Context], Reply | None] | None = None  # may refuse to start
    _by_name: dict[str, Step] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {step.name: step for step in self.steps}

    # -- entering and leaving -------------------------------------------------------------
    def start(self, msg: Incoming, ctx: Context, *, given: dict[str, Any] | None = None,
              intro: str | None = None) -> Reply:
        """Begin (or begin again) at the first step that applies; say once what 返回 … do.

        `given`: answers already in the request ("我们公司200人"): kept, and not asked.
        """
        refusal = self.guard(ctx) if self.guard else None
        if refusal is not None:
            return refusal
        ctx.data.clear()
        ctx.data.update({"answers": {}, "trail": []})
        for name, value in (given or {}).items():
            self.store(ctx, name, value)
        if given:
            ctx.data["given"] = list(given)
        opening = "\n".join(filter(None, (self.intro if intro is None else intro, FOOTER)))
        step = self._next(ctx, None)
        if step is not None:
            return self._ask(ctx, step, opening)
        if self.confirm:
            return self._summary(ctx, opening)
        return Reply.text(opening) + self._complete(ctx)

    def finish(self, ctx: Context) -> None:
        """Leave the form: clear its state and answers."""
        ctx.conversation.state = None
        ctx.data.clear()

    def goto(self, ctx: Context, name: str, before: str = "") -> Reply:
        """Ask step `name` next (after a correction such as "不对，重新输入")."""
        return self._ask(ctx, self._by_name[name], before)

    def current_question(self, ctx: Context) -> str:
        """The question the person is being asked now ("" outside this form)."""
        step_name = (ctx.conversation.state or "").partition(":")[2]
        if ctx.data.get("leaving"):
            return LEAVE.format(title=self.title, label=ctx.data["leaving"]["label"])
        if ctx.data.get("resume"):
            return RESUME.format(title=self.title)
        if step_name in (CONFIRM, CHANGE):
            return (self._summary if step_name == CONFIRM else self._change_list)(ctx).texts[0]
        step = self._by_name.get(step_name)
        if step is not None and ctx.data.get("other"):
            return OTHER.format(option=other_option(ctx.data["other"]), limit=OTHER_MAX)
        return step.question(ctx) if step else ""

    def repeat_text(self, ctx: Context) -> str | None:
        """What 重复 reads: the whole question after a brief re-prompt, else None."""
        return self.current_question(ctx) if ctx.data.get("brief") else None

    # -- answers --------------------------------------------------------------------------
    def value(self, ctx: Context, name: str) -> Any:
        """The stored answer of step `name` (decrypted when personal)."""
        raw = ctx.data.get("answers", {}).get(name)
        if raw is not None and self._by_name.get(name, Step(name, "")).personal:
            return json.loads(ctx.services.cipher.decrypt(raw))
        return raw

    def answers(self, ctx: Context) -> dict[str, Any]:
        """Every stored answer, decrypted."""
        return {name: self.value(ctx, name) for name in ctx.data.get("answers", {})}

    def store(self, ctx: Context, name: str, value: Any) -> None:
        """Keep an answer (encrypted when the step is personal)."""
        step = self._by_name.get(name)
        if step is not None and step.personal and value is not None:
            value = ctx.services.cipher.encrypt(json.dumps(value, ensure_ascii=False))
        ctx.data.setdefault("answers", {})[name] = value

    # -- the conversation -----------------------------------------------------------------
    def handle(self, msg: Incoming, ctx: Context) -> Reply | None:
        """Answer a message sent while the form is open."""
        step = self._by_name.get((ctx.conversation.state or "").partition(":")[2])
        reply = self._handle(msg, ctx)
        if step is None or not step.personal:
            return reply
        # Sent in answer to a personal question (even a slip): the text is not kept.
        return Reply(reply.texts, reply.options, reply.handler, {**reply.meta, "personal": True})

    def _handle(self, msg: Incoming, ctx: Context) -> Reply:
        step_name = (ctx.conversation.state or "").partition(":")[2]
        if ctx.data.get("leaving"):
            return self.leave(msg, ctx)
        if ctx.data.get("resume"):
            return self._resume(msg, ctx, step_name)
        away = timedelta(minutes=ctx.services.settings.conversation.resume_after_minutes)
        if ctx.conversation.updated_at and ctx.now - ctx.conversation.updated_at > away:
            ctx.data["resume"] = True
            return Reply.text(RESUME.format(title=self.title), options=())
        if step_name == CONFIRM:
            return self._confirm(msg, ctx)
        if step_name == CHANGE:
            return self._change(msg, ctx)
        step = self._by_name.get(step_name)
        if step is None:  # the form changed since this state was saved: start over politely
            return self.start(msg, ctx)
        if ctx.data.get("other"):
            return self.other_detail(msg, ctx, step)
        if parse_command(msg.text) == Command.SKIP:
            if step.optional:
                return self._advance(ctx, step, None)
            if normalize_command_text(msg.text) == "跳过":  # never an answer ("没有" may be)
                return self._ask(ctx, step, "这一项需要填写，不能跳过。不清楚的话可以回复“人工”。")
        try:
            value = step.read(msg.text, ctx)
        except InvalidAnswer as exc:
            return self._retry(msg, ctx, step, exc)
        if step.options(ctx) and other_option(value) is not None:
            return self.ask_other(ctx, value)  # "其他": what is it? kept with the option
        return self._advance(ctx, step, value)

    def back(self, ctx: Context) -> Reply:
        """返回: the previous step again (its answer can be changed)."""
        ctx.data.pop("resume", None)  # going back is carrying on
        ctx.data.pop("brief", None)
        if ctx.data.pop("leaving", None) or ctx.data.pop("other", None) is not None:
            return Reply.text(self.current_question(ctx), options=())  # this question again
        step_name = (ctx.conversation.state or "").partition(":")[2]
        if step_name == CHANGE:
            return self._summary(ctx)
        trail = ctx.data.get("trail", [])
        if not trail:
            step = self._by_name.get(step_name)
            note = "这已经是第一步了。"
            return self._ask(ctx, step, note) if step else self._summary(ctx, note)
        return self._ask(ctx, self._by_name[trail.pop()], "")

    def _advance(self, ctx: Context, step: Step, value: Any) -> Reply:
        self.store(ctx, step.name, value)
        if step.name in ctx.data.get("given", []):  # answered again: no longer taken as given
            ctx.data["given"].remove(step.name)
        if step.after is not None:
            diverted = step.after(value, ctx)
            if diverted is not None:
                return diverted
        ctx.data.setdefault("trail", []).append(step.name)
        following = self._next(ctx, step.name)
        if ctx.data.get("editing") and not (step.chain and following is not None):
            return self._summary(ctx)
        if following is None:
            return self._summary(ctx) if self.confirm else self._complete(ctx)
        return self._ask(ctx, following, "")

    def _next(self, ctx: Context, after: str | None) -> Step | None:
        """The next step that applies; steps given in the request are passed (and 返回 finds
        them on the trail)."""
        names = [s.name for s in self.steps]
        start = 0 if after is None else names.index(after) + 1
        given = ctx.data.get("given", [])
        for step in self.steps[start:]:
            if step.when(ctx) and step.name in given:
                ctx.data.setdefault("trail", []).append(step.name)
            elif step.when(ctx):
                return step
        return None

    def _ask(self, ctx: Context, step: Step, before: str) -> Reply:
        ctx.conversation.state = f"{self.name}:{step.name}"
        ctx.data.pop("brief", None)
        text = step.question(ctx)
        return Reply.text(f"{before}\n{text}" if before else text, options=())

    def _retry(self, msg: Incoming, ctx: Context, step: Step, exc: InvalidAnswer) -> Reply:
        again = step.reprompt or step.question(ctx)
        aside = self.aside(msg, ctx, again)
        if aside is not None:
            return aside
        if step.options(ctx) or step.parse is not free_text:
            match = ctx.services.kb.answer(msg.text) if len(msg.text) >= 6 else None
            if match is not None and match.kind == "confident":
                ctx.data["brief"] = bool(step.reprompt)
                answer = render_answer(match.entry)
                return Reply.text(answer, f"我们接着{self.title}。\n{again}", options=())
        if step.reprompt:  # a long question is not read again in full: 重复 reads it
            ctx.data["brief"] = True
            return Reply.text(step.reprompt, options=())
        return self._ask(ctx, step, exc.hint)

    def _complete(self, ctx: Context) -> Reply:
        answers, state = self.answers(ctx), ctx.conversation.state
        reply = self.done(ctx, answers)
        if ctx.conversation.state == state:  # `done` may send the person back to a step
            self.finish(ctx)
        return reply

    def _resume(self, msg: Incoming, ctx: Context, step_name: str) -> Reply:
        ctx.data.pop("resume", None)
        try:
            again = parse_choice(msg.text, ["继续", "重新开始"]) == 1
        except NotAChoice:
            ctx.data["resume"] = True
            return Reply.text("请回复1继续上次的，或回复2重新开始。", options=())
        if again:
            return self.start(msg, ctx)
        if step_name in (CONFIRM, CHANGE):
            return self._summary(ctx)
        step = self._by_name.get(step_name)
        return self._ask(ctx, step, "好的，我们接着来。") if step else self.start(msg, ctx)
