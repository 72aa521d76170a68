"""`make eval QA=file.yaml`: run a question set through the real webhook and grade it.

Grading (../shared/eval/README.md): each question is sent by a new user; all replies are
joined; an item passes when, for some group of `expect_any`, every string occurs in the
reply and at least one of them is not already in the question. Every reply must also keep
the reply rules (at most 500 characters, no tables).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import LocalBot  # noqa: E402

MAX_CHARS = 500


def passes(question: str, reply: str, groups: list[list[str]]) -> bool:
    """The README's rule: a whole group found, not all of it copied from the question."""
    return any(all(s in reply for s in group) and any(s not in question for s in group)
               for group in groups)


def rule_breaks(replies: list[str]) -> list[str]:
    """Reply rules: length and no tables."""
    problems = []
    for reply in replies:
        if len(reply) > MAX_CHARS:
            problems.append(f"{len(reply)} characters")
        if "|" in reply or "\t" in reply:
            problems.append("looks like a table")
    return problems


def main(path: str) -> int:
    """Run the set; print failures, per-kind accuracy, and the `qa accuracy` line last."""
    if not Path(path).is_file():
        print(f"make eval: no question set at {path}: give one with QA=path/to/set.yaml "
              "(the shared sets are in ../shared/eval/ beside the repository)", file=sys.stderr)
        return 2
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    bot = LocalBot()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    passed = 0
    for n, item in enumerate(items):
        replies = bot.send(f"eval{n:04d}", str(item["q"]))
        joined = "\n".join(replies)
        ok = passes(str(item["q"]), joined, [[str(s) for s in g] for g in item["expect_any"]])
        broken = rule_breaks(replies)
        ok = ok and not broken
        totals[item["kind"]][1] += 1
        totals[item["kind"]][0] += ok
        passed += ok
        if not ok:
            print(f"FAIL {item['id']} [{item['kind']}] {item['q']}")
            print("     " + joined.replace("\n", " / ")[:300] + (f"  ({'; '.join(broken)})"
                                                                   if broken else ""))
    for kind, (good, total) in sorted(totals.items()):
        print(f"{kind:13s} {good / total:.2f} ({good}/{total})")
    print(f"qa accuracy {passed / len(items):.2f} ({passed}/{len(items)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "../shared/eval/qa_dev.yaml"))
