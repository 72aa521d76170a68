"""Multi-step conversations as data: a Form is a tuple of Steps; the state is "form:step".

The state and answers live in the `conversations` row (db), so a restart or another worker
loses nothing. Personal answers are stored encrypted. The universal commands are routed
before the form (菜单, 取消, 人工, 帮助, 重复); 返回 calls `Form.back`; 跳过 / 不知道 skip an
optional step. An answer that does not fit gets a friendly hint and the same question; a
question typed at a choice step is answered from the knowledge base and the step asked again.
After `resume_after_minutes` away the person is asked whether to continue or start over.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Sequence

from bot.messages import Incoming, Reply
from bot.router import Context
from handlers.choices import NotAChoice, numbered, parse_choice, parse_choices, parse_yes_no
from handlers.commands import Command, normalize_command_text, parse_command
from handlers.validators import InvalidAnswer
from knowledge.curation import render_answer

CONFIRM = "__confirm"
SUMMARY_VALUE = 24  # characters of a free-text answer shown in the summary
FOOTER = "（回复“返回”回到上一步，“取消”退出，“人工”找工作人员）"
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

    def options(self, ctx: Context) -> list[str]:
        """The numbered choices of this step ([] for free text)."""
        return list(self.choices(ctx) if callable(self.choices) else self.choices)

    def question(self, ctx: Context) -> str:
        """The prompt with its numbered choices and what the person can do."""
        prompt = self.prompt(ctx) if callable(self.prompt) else self.prompt
        options = self.options(ctx)
        body = f"{prompt}\n{numbered(options)}" if options else prompt
        skip = "\n没有或不清楚，可以回复“跳过”。" if self.optional else ""
        return f"{body}{skip}\n{FOOTER}"

    def read(self, text: str, ctx: Context) -> Any:
        """Parse the answer; InvalidAnswer carries the hint."""
        options = self.options(ctx)
        if options and self.multiple:
            return [options[i] for i in parse_choices(text, options)]
        if options:
            return options[parse_choice(text, options)]
        return self.parse(text, ctx)


@dataclass
class Form:
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
    def start(self, msg: Incoming, ctx: Context, *, answers: dict[str, Any] | None = None,
              at: str | None = None) -> Reply:
        """Begin (or begin again) at the first step that applies, or at step `at`."""
        refusal = self.guard(ctx) if self.guard else None
        if refusal is not None:
            return refusal
        ctx.data.clear()
        ctx.data.update({"answers": answers or {}, "trail": []})
        step = self._by_name[at] if at else self._next(ctx, None)
        if step is None:
            return self._summary(ctx)
        if at:
            ctx.data["editing"] = True
        return self._ask(ctx, step, self.intro if not at else "")

    def finish(self, ctx: Context) -> None:
        """Leave the form: clear its state and answers."""
        ctx.conversation.state = None
        ctx.data.clear()

    def review(self, ctx: Context, answers: dict[str, Any], **data: Any) -> Reply:
        """Open saved answers at the summary, so any of them can be changed by its number."""
        ctx.data.clear()
        ctx.data.update({"trail": [], **data})
        for name, value in answers.items():
            self.store(ctx, name, value)
        return self._summary(ctx)

    def goto(self, ctx: Context, name: str, before: str = "") -> Reply:
        """Ask step `name` next (after a correction such as "不对，重新输入")."""
        return self._ask(ctx, self._by_name[name], before)

    def current_question(self, ctx: Context) -> str:
        """The question the person is being asked now ("" outside this form)."""
        step_name = (ctx.conversation.state or "").partition(":")[2]
        if ctx.data.get("resume"):
            return RESUME.format(title=self.title)
        if step_name == CONFIRM:
            return self._summary(ctx).texts[0]
        step = self._by_name.get(step_name)
        return step.question(ctx) if step else ""

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
        if ctx.data.get("resume"):
            return self._resume(msg, ctx, step_name)
        away = timedelta(minutes=ctx.services.settings.conversation.resume_after_minutes)
        if ctx.conversation.updated_at and ctx.now - ctx.conversation.updated_at > away:
            ctx.data["resume"] = True
            return Reply.text(RESUME.format(title=self.title), options=())
        if step_name == CONFIRM:
            return self._confirm(msg, ctx)
        step = self._by_name.get(step_name)
        if step is None:  # the form changed since this state was saved: start over politely
            return self.start(msg, ctx)
        if parse_command(msg.text) == Command.SKIP:
            if step.optional:
                return self._advance(ctx, step, None)
            if normalize_command_text(msg.text) == "跳过":  # never an answer ("没有" may be)
                return self._ask(ctx, step, "这一项需要填写，不能跳过。不清楚的话可以回复“人工”。")
        try:
            value = step.read(msg.text, ctx)
        except InvalidAnswer as exc:
            return self._retry(msg, ctx, step, exc)
        return self._advance(ctx, step, value)

    def back(self, ctx: Context) -> Reply:
        """返回: the previous step again (its answer can be changed)."""
        ctx.data.pop("resume", None)  # going back is carrying on
        trail = ctx.data.get("trail", [])
        if not trail:
            step_name = (ctx.conversation.state or "").partition(":")[2]
            step = self._by_name.get(step_name)
            note = "这已经是第一步了。"
            return self._ask(ctx, step, note) if step else self._summary(ctx, note)
        return self._ask(ctx, self._by_name[trail.pop()], "")

    def _advance(self, ctx: Context, step: Step, value: Any) -> Reply:
        self.store(ctx, step.name, value)
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
        names = [s.name for s in self.steps]
        start = 0 if after is None else names.index(after) + 1
        return next((s for s in self.steps[start:] if s.when(ctx)), None)

    def _ask(self, ctx: Context, step: Step, before: str) -> Reply:
        ctx.conversation.state = f"{self.name}:{step.name}"
        text = step.question(ctx)
        return Reply.text(f"{before}\n{text}" if before else text, options=())

    def _retry(self, msg: Incoming, ctx: Context, step: Step, exc: InvalidAnswer) -> Reply:
        if step.options(ctx) or step.parse is not free_text:
            match = ctx.services.kb.answer(msg.text) if len(msg.text) >= 6 else None
            if match is not None and match.kind == "confident":
                answer = render_answer(match.entry)
                return Reply.text(answer, f"我们接着{self.title}。\n{step.question(ctx)}",
                                  options=())
        return self._ask(ctx, step, exc.hint)

    def _summary(self, ctx: Context, before: str = "") -> Reply:
        ctx.conversation.state = f"{self.name}:{CONFIRM}"
        ctx.data.pop("editing", None)
        shown = [s for s in self.steps if s.label and s.when(ctx)]
        lines = [f"{i}. {s.label}：{self._shown(ctx, s)}" for i, s in enumerate(shown, 1)]
        text = (f"{before}\n" if before else "") + "请核对您填写的信息：\n" + "\n".join(lines) + \
            "\n没问题请回复“确认”提交；要修改哪项，请回复它前面的数字。\n（回复“取消”退出）"
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
        shown = [s for s in self.steps if s.label and s.when(ctx)]
        try:
            if parse_yes_no(msg.text) and normalize_command_text(msg.text) != "1":  # 1: item 1
                return self._complete(ctx)
        except NotAChoice:
            pass
        try:
            index = parse_choice(msg.text, [s.label for s in shown])
        except NotAChoice:
            return self._summary(ctx, "请回复“确认”提交，或回复数字修改对应的项。")
        ctx.data["editing"] = True
        return self._ask(ctx, shown[index], "")

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
        if step_name == CONFIRM:
            return self._summary(ctx)
        step = self._by_name.get(step_name)
        return self._ask(ctx, step, "好的，我们接着来。") if step else self.start(msg, ctx)
