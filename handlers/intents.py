"""What a person wants done, in their words: register, book, subscribe, calculate."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.messages import Incoming
from bot.router import Context
from handlers.levy_form import figures
from knowledge.text import normalize

# A request, not a question about the thing: "我想登记" yes, "登记要带什么" no.
# The calculator is also wanted when the levy is asked about with the unit's own staff count
# ("我们公司200人 有1个残疾职工 要交多少保障金"); "30人以下的企业要交吗" is a rule, not a count.
# A short request to book, polite forms with 吗 included ("能约个时间吗", "帮我预约一下"): the
# whole message, so "预约要带什么" and "怎么预约" stay questions about booking.
BOOK_NOW = re.compile(r"^(?:请|麻烦你?)?我?(?:想|要|想要)?(?:能不能|能|可以|可不可以)?"
                      r"(?:帮我|给我)?(?:服务)?(?:预约|约)(?:服务|一下|下|个时间|一个时间|时间)?"
                      r"(?:吗|呢|吧|可以吗|行吗|好吗)?$")
LEVY_ASKED = re.compile(r"保障金|残保金|(交|缴)(多少|几|钱)")
QUESTION = re.compile(r"(吗|么|啥|什么|嘛|怎么|如何|哪|多少|几|是不是|能不能|可不可以|有没有)")
# Booking comes first: "俺想找活儿 区里能给俺做个评估不" asks for the assessment, not the form.
INTENTS: dict[str, tuple[re.Pattern[str], ...]] = {
    "booking": (re.compile(r"(预约|约|报|报名|参加).{0,8}(评估|培训|就业服务|指导|面谈|咨询|辅导"
                           r"|核对|安置|认定)"),
                re.compile(r"(做|搞|安排|来)((个|一个|一次|一下)(职业能力|能力)?|职业能力|能力)评估"),
                re.compile(r"^(服务预约|预约服务)$"), BOOK_NOW),
    "register": (re.compile(r"(登记|报名|报个名|登記).{0,6}(就业|求职|找工作|工作|需求)"),
                 re.compile(r"(就业|求职|找工作).{0,6}(登记|报名)"),
                 re.compile(r"(我想|我要|帮我|给我|想)(找|找个|找份)(工作|活|事)"),
                 re.compile(r"^(就业登记|求职登记|登记就业需求)$")),
    "subscribe": (re.compile(r"(订阅|通知我|告诉我|提醒我|推送|发给我|通知一下)"),
                  re.compile(r"^(活动订阅|订阅)$")),
    "levy": (re.compile(r"(?<!怎么)(?<!如何)(?<!咋)(算|计算|测算|估算)(?!不算).{0,12}(保障金|残保金)"),
             re.compile(r"(保障金|残保金).{0,4}(计算器|算一下|怎么算出|帮我算)")),
}


@lru_cache(maxsize=4096)  # several routes ask of every message; people repeat themselves
def intent_of(text: str) -> str | None:
    """The service asked for, or None (questions about a service are policy questions)."""
    words = normalize(text)
    if BOOK_NOW.fullmatch(words):
        return "booking"
    for name, patterns in INTENTS.items():
        if any(p.search(words) for p in patterns):
            asks_about_it = QUESTION.search(words) and not words.startswith(("我想", "我要", "帮我"))
            if name != "levy" and asks_about_it:
                continue
            return name
    if LEVY_ASKED.search(words) and "staff" in figures(words):
        return "levy"
    return None


def wants(name: str):  # type: ignore[no-untyped-def]
    """A route predicate: the message asks for service `name`."""
    def predicate(msg: Incoming, ctx: Context) -> bool:
        return msg.kind == "text" and intent_of(msg.text) == name
    predicate.__name__ = f"wants_{name}"
    return predicate
