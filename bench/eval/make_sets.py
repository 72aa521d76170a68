"""Turn questions.txt into the tuning and held-out halves (one random split, fixed seed).

Run once: `python bench/eval/make_sets.py` writes tune.yaml and heldout.yaml beside it.
The split is committed; rerunning with the same file and seed gives the same halves.
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SEED = 20261201
REFUSAL = ["抱歉", "无法", "無法", "不能", "不清楚", "暂无", "暫無", "不了解", "不提供", "超出",
           "没有相关", "沒有相關", "人工"]
ALIASES: dict[str, list[list[str]]] = {
    "OOS": [[w] for w in REFUSAL],
    "OOSMED": [[w] for w in ["医院", "醫院", "医生", "就医", "就诊", *REFUSAL]],
    "OOSPLACE": [[w] for w in ["当地", "當地", *REFUSAL]],
    "OOSPRIV": [[w] for w in ["隐私", "个人信息", "個人信息", *REFUSAL]],
    "HELLO": [["您好"], ["你好"], ["欢迎"], ["在的"], ["很高兴"]],
    "THANKS": [["不客气"], ["不客氣"], ["不用谢"], ["客气"], ["应该的"], ["随时"], ["很高兴"]],
    "BYE": [["再见"], ["随时"], ["祝您"], ["欢迎再来"], ["欢迎随时"]],
    "MENU": [["登记", "政策"], ["登记", "人工"], ["登记", "预约"]],
    "WHO": [["助手", "河北区"], ["自动", "残疾人就业"], ["机器人", "河北区"],
            ["助手", "残疾人就业"]],
    "BOT": [["机器人"], ["助手"], ["自动"], ["智能"], ["AI"]],
    "CRISIS": [["人工"], ["热线"], ["心理"], ["12320"], ["110"], ["120"]],
    "ANGRY": [["抱歉"], ["人工"], ["理解"]],
    "REG": [["登记"], ["登記"], ["姓名"], ["残疾证"], ["联系方式"], ["手机号"], ["同意"]],
    "HANDOFF": [["人工"], ["客服"], ["工作人员"]],
}
KINDS = {"p": "policy", "o": "out_of_scope", "s": "smalltalk", "i": "intent"}


def parse(path: Path) -> list[dict]:
    """Items from the compact file: kind|question|groups|notes."""
    items, section = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        if not line.strip() or line.startswith("#"):
            continue
        kind, question, groups, notes = line.split("|")
        kind, _, intent = kind.partition(":")
        if groups.startswith("$"):
            expect = ALIASES[groups[1:]]
        else:
            expect = [g.split("+") for g in groups.split(";")]
        expect = [g for g in expect if any(s not in question for s in g)]
        if not expect:
            raise SystemExit(f"every expected string is in the question: {question}")
        item = {"id": f"w-{len(items) + 1:03d}", "q": question, "kind": KINDS[kind],
                "expect_any": expect, "notes": f"{section}：{notes}"}
        if intent:
            item["expect_intent"] = intent
        items.append(item)
    return items


def main() -> None:
    """Shuffle once with the fixed seed; the first half tunes, the second is held out."""
    items = parse(HERE / "questions.txt")
    random.Random(SEED).shuffle(items)
    half = len(items) // 2
    for name, part in (("tune.yaml", items[:half]), ("heldout.yaml", items[half:])):
        part = sorted(part, key=lambda i: i["id"])
        text = yaml.safe_dump(part, allow_unicode=True, sort_keys=False, width=200)
        (HERE / name).write_text(text, encoding="utf-8")
        print(name, len(part))


if __name__ == "__main__":
    main()
