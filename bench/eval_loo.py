"""Leave-one-out over the knowledge base's own question variants.

For every variant of every entry: rebuild the index without it (a fresh analyzer, so its
words are not remembered either), ask it, and count whether its entry ranks first. This
measures how well the other wordings carry a new one, which no question file can be tuned to.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from knowledge.base import KnowledgeBase  # noqa: E402
from knowledge.text import Analyzer  # noqa: E402


def leave_one_out(kb: KnowledgeBase, verbose: bool = False) -> tuple[int, int]:
    """(variants whose entry came first, variants tried)."""
    good = total = 0
    for n, entry in enumerate(kb.entries):
        for k, question in enumerate(entry.questions):
            rest = entry.questions[:k] + entry.questions[k + 1:]
            entries = [*kb.entries[:n], replace(entry, questions=rest), *kb.entries[n + 1:]]
            analyzer = Analyzer(kb.analyzer.tokenizer, kb.analyzer.synonyms)
            hits = KnowledgeBase(entries, analyzer).search(question, limit=1)
            ok = bool(hits) and hits[0].entry.id == entry.id
            good += ok
            total += 1
            if verbose and not ok:
                print(f"MISS {entry.id}: {question} -> {hits[0].entry.id if hits else '-'}")
    return good, total


def main() -> int:
    """Print the misses and the `loo accuracy` line."""
    good, total = leave_one_out(KnowledgeBase.load(), verbose="-v" in sys.argv)
    print(f"loo accuracy {good / total:.2f} ({good}/{total})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
