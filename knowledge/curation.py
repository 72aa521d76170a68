"""Checks and renderings for staff who edit the entries (used by `python -m bot kb ...`)."""

from __future__ import annotations

import re
from pathlib import Path

from knowledge.base import Entry, KnowledgeBase, read_entry
from knowledge.text import normalize

MAX_REPLY = 500
MIN_QUESTIONS = 5
AUDIENCES = frozenset({"jobseeker", "family", "employer", "staff"})
LONG_NUMBER = re.compile(r"\d{7,}")
FOOTER = "\n回复“菜单”看其他服务，回复“人工”找工作人员。"
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{2,6}〔\d{4}〕\d+号|财政部公告\d{4}年第\d+号")
ASIDE = re.compile(r"（[^（）]*）")
SHORT_PERIOD = 12  # a longer period note is left to the answer itself
BRIEF_FOOTER = "\n回复上面的数字看别的答案，回复“人工”找工作人员。"
ENDED = "已结束"  # in the period of an entry from the expired three-year plan
PLAN_NUMBER = "河北政办〔2022〕15号"  # that plan's number


def short_source(source: str) -> str:
    """The documents of a source line by number (河北政办〔2022〕15号), else by title alone."""
    parts = []
    for part in source.split("；"):
        numbers = DOC_NUMBER.findall(part)
        parts.append("、".join(dict.fromkeys(numbers)) if numbers
                     else ASIDE.sub("", part).replace("中华人民共和国", ""))
    return "；".join(dict.fromkeys(parts))


def citation(entry: Entry) -> str:
    """A brief source line (document number, section); then what still applies, if said."""
    source = short_source(entry.source)
    if ENDED in entry.period:  # the plan's own period beside its number; what holds: `now`
        plan = PLAN_NUMBER if PLAN_NUMBER in source else source
        source = source.replace(plan, f"{plan}（2022—2024年方案）", 1)
        line = f"\n出处：{source}，{entry.section}"
    else:
        when = f"（{entry.period}）" if len(entry.period) <= SHORT_PERIOD else ""
        line = f"\n出处：{source}，{entry.section}{when}"
    return line + (f"\n现在：{entry.now}" if entry.now else "")


def render_answer(entry: Entry) -> str:
    """The reply text for an entry: answer, source, how to see more, the way out."""
    more = "\n回复1查看详细。" if entry.detail else ""
    return entry.answer + citation(entry) + more + FOOTER


def render_brief(entry: Entry) -> str:
    """The answer and its source (beside a numbered list, where "1" means the list)."""
    return entry.answer + citation(entry) + BRIEF_FOOTER


def render_detail(entry: Entry) -> str:
    """The reply text for an entry's details (empty when it has none)."""
    return entry.detail + citation(entry) + FOOTER if entry.detail else ""


FIELD_NAMES = {"title": "标题", "answer": "回答", "source": "出处", "section": "条款",
               "period": "适用期"}


def _check_entry(path: Path, entry: Entry) -> list[str]:
    """Problems of one parsed entry."""
    name = path.name
    problems = []
    if entry.id != path.stem:
        problems.append(f"{name}：编号 {entry.id} 和文件名不一致，请改成一样的")
    for key in ("title", "answer", "source", "section", "period"):
        if not getattr(entry, key).strip():
            problems.append(f"{name}：{FIELD_NAMES[key]}是空的，请填写")
    if len({normalize(q) for q in entry.questions if normalize(q)}) < MIN_QUESTIONS:
        problems.append(f"{name}：不同的问法少于 {MIN_QUESTIONS} 个，请再写几种人们会怎么问")
    unknown = sorted(set(entry.audience) - AUDIENCES)
    if unknown or not entry.audience:
        problems.append(f"{name}：面向谁只能是 {'、'.join(sorted(AUDIENCES))}"
                        f"（不认识：{'、'.join(unknown) or '空'}）")
    if len(render_answer(entry)) > MAX_REPLY:
        problems.append(f"{name}：回答连出处共 {len(render_answer(entry))} 个字，超过 {MAX_REPLY} 个字，请缩短")
    if len(render_detail(entry)) > MAX_REPLY:
        problems.append(f"{name}：详细说明连出处共 {len(render_detail(entry))} 个字，超过 {MAX_REPLY} 个字，请缩短")
    texts = (entry.title, entry.answer, entry.detail, *entry.questions, *entry.keywords)
    if any(LONG_NUMBER.search(text.replace(" ", "")) for text in texts):
        problems.append(f"{name}：有连续 7 位以上的数字（像电话号码），电话等联系方式只能来自配置，请删去")
    return problems


def check(folder: Path | None = None) -> list[str]:
    """Every problem found in the entry files of a folder (empty when all is well)."""
    folder = folder or Path(__file__).resolve().parent / "entries"
    problems: list[str] = []
    seen: dict[str, str] = {}
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        return [f"{folder}：没有知识条目文件"]
    for path in paths:
        try:
            entry = read_entry(path)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        problems += _check_entry(path, entry)
        for question in dict.fromkeys(normalize(q) for q in entry.questions):
            if question in seen and seen[question] != entry.id:
                problems.append(f"{path.name}：问法“{question}”和 {seen[question]} 里的重复了，请删去一个")
            seen.setdefault(question, entry.id)
    return problems


def ask(kb: KnowledgeBase, text: str, limit: int = 5) -> str:
    """A report of what the knowledge base makes of a question: decision, then ranked hits."""
    match = kb.answer(text)
    lines = [f"问题：{text}", f"判断：{match.kind}"]
    for rank, hit in enumerate(kb.search(text, limit=limit), start=1):
        lines.append(f"{rank}. {hit.entry.id}  score={hit.score:.2f}  coverage={hit.coverage:.2f}"
                     f"  evidence={hit.evidence:.1f}  {hit.entry.title}")
    if match.entry:
        lines += ["", render_answer(match.entry)]
    return "\n".join(lines)

