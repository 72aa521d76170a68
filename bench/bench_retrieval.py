"""Retrieval speed on a knowledge base grown to 1,000 entries (real ones plus synthetic).

Run: .venv/bin/python bench/bench_retrieval.py [--entries N] [--questions N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge.base import Entry, KnowledgeBase, read_entry  # noqa: E402

ENTRIES = Path(__file__).resolve().parents[1] / "knowledge" / "entries"
FILLERS = ("请问", "你好，", "想问一下", "麻烦问下", "")
ENDINGS = ("？", "吗", "啊", "呢？", "😊", "")


def toml_entry(entry: Entry) -> str:
    """An entry as TOML text (JSON strings are valid TOML basic strings)."""
    def dump(value: object) -> str:
        return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
    keys = ("id", "title", "audience", "questions", "answer", "detail", "source", "section",
            "period", "keywords")
    return "".join(f"{key} = {dump(getattr(entry, key))}\n" for key in keys)


def vary(text: str, words: list[str], rng: random.Random) -> str:
    """The text with one or two of its characters replaced by other words."""
    chars = list(text)
    for _ in range(rng.randint(1, 2)):
        chars[rng.randrange(len(chars))] = rng.choice(words)
    return "".join(chars)


def synthetic(real: list[Entry], count: int, rng: random.Random) -> list[Entry]:
    """Entries made by varying real entries' titles, questions and answers."""
    words = sorted({q[i:i + 2] for e in real for q in e.questions for i in range(len(q) - 1)})
    made = []
    for n in range(count):
        base = real[n % len(real)]
        made.append(replace(
            base, id=f"{base.id}-syn{n}", title=vary(base.title, words, rng),
            questions=tuple(vary(q, words, rng) for q in base.questions),
            answer=vary(base.answer, words, rng), keywords=tuple(rng.sample(words, 3))))
    return made


def main() -> None:
    """Build the grown knowledge base, then time load and retrieval."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=400)
    args = parser.parse_args()
    rng = random.Random(7)
    real = [read_entry(path) for path in sorted(ENTRIES.glob("*.toml"))]
    if not real:
        sys.exit(f"no entries in {ENTRIES}")
    entries = real + synthetic(real, max(0, args.entries - len(real)), rng)
    questions = [rng.choice(FILLERS) + q + rng.choice(ENDINGS)
                 for q in rng.sample([q for e in entries for q in e.questions], args.questions)]
    with tempfile.TemporaryDirectory() as folder:
        for entry in entries:
            (Path(folder) / f"{entry.id}.toml").write_text(toml_entry(entry), encoding="utf-8")
        start = time.perf_counter()
        kb = KnowledgeBase.load(Path(folder))
        load_s = time.perf_counter() - start
    for question in questions[:20]:
        kb.decide(question)  # warm the tokenizer (decide: the search, not the answer cache)
    times = []
    for question in questions:
        start = time.perf_counter()
        kb.decide(question)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"retrieval median_ms={statistics.median(times):.2f} p99_ms={p99:.2f} "
          f"entries={len(kb.entries)} questions={len(times)}")
    print(f"kb load_s={load_s:.2f}")


if __name__ == "__main__":
    main()
