"""`make eval QA=file.yaml`: run a question set through the real webhook and grade it.

Grading (../shared/eval/README.md): each question is sent by a new user; all replies are
joined; an item passes when, for some group of `expect_any`, every string occurs in the
reply and at least one of them is not already in the question. Every reply must also keep
the reply rules (at most 500 characters, no tables).
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import LocalBot  # noqa: E402
from handlers.texts import text  # noqa: E402

MAX_CHARS = 500
OUTCOMES = ("answer", "list", "none")  # what the gate decided, read from the reply


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


def outcome(reply: str) -> str:
    """The gate's decision as the person hears it: an answer, "您是想问" or "没有"/refusal."""
    if text("did_you_mean").split("\n")[0] in reply:
        return "list"
    refusals = (text("no_answer"), text("out_of_scope"), text("out_of_scope_medical"),
                text("out_of_scope_other_city"), text("out_of_scope_personal_data"))
    return "none" if any(r[:12] in reply for r in refusals) else "answer"


@dataclass
class Report:
    """Per-kind tallies and the gate's confusion (policy and out-of-scope items)."""

    totals: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    confusion: Counter = field(default_factory=Counter)  # (kind, outcome, passed) -> n

    @property
    def passed(self) -> int:
        """Items passed."""
        return sum(good for good, _ in self.totals.values())

    @property
    def size(self) -> int:
        """Items run."""
        return sum(total for _, total in self.totals.values())

    def lines(self) -> list[str]:
        """Per-kind accuracy, then the `qa accuracy` line."""
        out = [f"{kind:13s} {good / total:.2f} ({good}/{total})"
               for kind, (good, total) in sorted(self.totals.items())]
        return out + [f"qa accuracy {self.passed / self.size:.2f} ({self.passed}/{self.size})"]

    def confusion_lines(self) -> list[str]:
        """The three outcomes per kind, each as passed/all."""
        out = ["gate outcome   " + "  ".join(f"{o:>9s}" for o in OUTCOMES)]
        for kind in ("policy", "out_of_scope"):
            good = [self.confusion[kind, o, True] for o in OUTCOMES]
            bad = [self.confusion[kind, o, False] for o in OUTCOMES]
            cells = [f"{g}/{g + b}" for g, b in zip(good, bad)]
            out.append(f"{kind:13s}  " + "  ".join(f"{c:>9s}" for c in cells))
        return out


def run(path: str, *, show_failures: bool = True, bot: LocalBot | None = None) -> Report:
    """Run a question set; print failures unless told not to (the held-out half)."""
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    bot = bot or LocalBot()
    report = Report()
    for n, item in enumerate(items):
        replies = bot.send(f"eval{Path(path).stem}{n:04d}", str(item["q"]))
        joined = "\n".join(replies)
        ok = passes(str(item["q"]), joined, [[str(s) for s in g] for g in item["expect_any"]])
        broken = rule_breaks(replies)
        ok = ok and not broken
        report.totals[item["kind"]][1] += 1
        report.totals[item["kind"]][0] += ok
        report.confusion[item["kind"], outcome(joined), ok] += 1
        if not ok and show_failures:
            print(f"FAIL {item['id']} [{item['kind']}] {item['q']}")
            print("     " + joined.replace("\n", " / ")[:300] + (f"  ({'; '.join(broken)})"
                                                                   if broken else ""))
    return report


def missing(path: str | Path) -> bool:
    """True (and one line on stderr saying what to do) when the question set is not there."""
    if Path(path).is_file():
        return False
    print(f"make eval: no question set at {path}: give one with QA=path/to/set.yaml "
          "(the shared sets are in ../shared/eval/ beside the repository)", file=sys.stderr)
    return True


def main(path: str) -> int:
    """Run the set; print failures, per-kind accuracy, and the `qa accuracy` line last."""
    if missing(path):
        return 2
    print("\n".join(run(path).lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "../shared/eval/qa_dev.yaml"))
