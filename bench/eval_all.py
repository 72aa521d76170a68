"""`make eval`: issue 12's four figures and a fresh set, each report ending in its accuracy line.

1. the tuning half (bench/eval/tune.yaml): failures shown, per-kind accuracy;
2. the held-out half (bench/eval/heldout.yaml): figures and the gate's confusion only, never
   its failures (look at them and it is no longer held out);
3. a fresh set of 50 (bench/eval/fresh-stop8.yaml), figures only: written at stop 8 from the
   plan alone and never tuned on;
4. leave-one-out over the knowledge base's own question variants;
5. the shared development set, last, so the last line is its `qa accuracy`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.eval_loo import leave_one_out  # noqa: E402
from bench.eval_qa import missing, run  # noqa: E402
from bench.harness import LocalBot  # noqa: E402

HERE = Path(__file__).resolve().parent
DEV = HERE.parent / ".." / "shared" / "eval" / "qa_dev.yaml"


def main() -> int:
    """Print the five reports; the dev set's `qa accuracy` line comes last."""
    if missing(DEV):
        return 2
    bot = LocalBot()
    print("== tuning half (bench/eval/tune.yaml) ==")
    tune = run(str(HERE / "eval" / "tune.yaml"), bot=bot)
    print("\n".join(tune.lines() + tune.confusion_lines()))
    print("== held-out half (bench/eval/heldout.yaml): failures not shown ==")
    held = run(str(HERE / "eval" / "heldout.yaml"), show_failures=False, bot=bot)
    print("\n".join(held.lines() + held.confusion_lines()))
    print("== fresh set (bench/eval/fresh-stop8.yaml): failures not shown ==")
    fresh = run(str(HERE / "eval" / "fresh-stop8.yaml"), show_failures=False, bot=bot)
    print("\n".join(fresh.lines() + fresh.confusion_lines()))
    print("== leave-one-out over the entries' question variants ==")
    good, total = leave_one_out(bot.services.kb)
    print(f"loo accuracy {good / total:.2f} ({good}/{total})")
    print("== dev set (../shared/eval/qa_dev.yaml) ==")
    print("\n".join(run(str(DEV.resolve()), bot=bot).lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
