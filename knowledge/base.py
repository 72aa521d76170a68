"""The policy knowledge base: entries from TOML files, ranked by BM25 with synonyms and pinyin."""

from __future__ import annotations

import heapq
import logging
import math
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba

from knowledge.text import LIGHT_WORDS, Analyzer, load_synonyms, normalize

HERE = Path(__file__).resolve().parent
K1, B = 1.2, 0.75
TITLE_WEIGHT, ANSWER_WEIGHT = 1.0, 0.3  # all questions together count 1
VARIANT_WEIGHT = 1.0  # plus the best single question variant
VARIANT_FIT = 1.0  # ... scaled by the share of that variant's weight the question has (power)
POSTINGS = 40  # strongest postings kept per term to find candidates (all are rescored)
CANDIDATES = 16  # candidates rescored exactly
RERANK = 8  # best of them whose question variants are scored one by one
SUB_WEIGHT = 0.5  # a sub-word of a query word counts half
PART_CREDIT = 0.7  # coverage for a word whose inner words are all found
LIGHT_BOOST = 0.3  # 多少, 哪些, 区里 ... say what kind of answer, not which
MIX = 0.5  # how much coverage scales the score
AUDIENCE_BONUS = 1.05  # entries written for the asker's role win near-ties
COMMON_DISCOUNT = 0.5  # a word in every entry counts half towards coverage
# Decisions. Coverage: the share of the question's weight an entry explains (0-1).
FLOOR = 0.38  # entries explaining less are never offered
CONFIDENT, CLOSE = 0.6, 0.85  # confident: this coverage and the runner-up below CLOSE x score
DOMINANT_COVERAGE, DOMINANT = 0.5, 0.6  # or less coverage but far ahead of the runner-up
SURE_COVERAGE, SURE = 0.8, 0.9  # or the question fully explained and still ahead
EVIDENCE, EVIDENCE_COVERAGE = 20.0, 0.25  # or much of a long message explained
SOME_EVIDENCE = 12.0  # a long message's part that is enough when far ahead
MIN_EVIDENCE = 6.0  # never confident on less (half of it: not even offered) ...
SHORT_EVIDENCE, SHORT_COVERAGE, SHORT_RIVAL = 4.5, 0.9, 0.5  # ... but a short, clear question
SHORTLIST = 5  # hits looked at by the gate (those explaining too little are dropped first)
OPTION = 0.5  # runners-up offered as choices score at least this share of the best
ANSWER_CACHE = 4096  # (question, audience) decisions kept per loaded base: people repeat


@dataclass(frozen=True)
class Entry:
    """One answer from a policy document, with the ways people ask for it."""

    id: str
    title: str
    audience: tuple[str, ...]
    questions: tuple[str, ...]
    answer: str
    source: str
    section: str
    period: str
    detail: str = ""
    keywords: tuple[str, ...] = ()
    now: str = ""  # what still applies today, said plainly (where the source has expired)

    @classmethod
    def from_dict(cls, data: dict) -> Entry:
        """Build an entry from parsed TOML; raises ValueError on a missing or mistyped key."""
        texts = ("id", "title", "answer", "source", "section", "period")
        lists = ("audience", "questions")
        missing = [k for k in texts + lists if k not in data]
        if missing:
            raise ValueError("缺少这些项：" + "、".join(missing))
        bad = [k for k in texts + ("detail", "now") if not isinstance(data.get(k, ""), str)]
        bad += [k for k in lists + ("keywords",) if not _str_list(data.get(k, []))]
        if bad:
            raise ValueError("这些项的类型不对：" + "、".join(bad))
        return cls(**{k: data[k] for k in texts}, detail=data.get("detail", ""),
                   now=data.get("now", ""),
                   audience=tuple(data["audience"]), questions=tuple(data["questions"]),
                   keywords=tuple(data.get("keywords", [])))


def _str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def read_entry(path: Path) -> Entry:
    """Parse one entry file; raises ValueError naming the file when it is not valid."""
    try:
        return Entry.from_dict(tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path.name}：TOML 格式不对（{exc}），请对照别的条目改正") from exc
    except UnicodeDecodeError:
        raise ValueError(f"{path.name}：不是 UTF-8 编码的文本，请用 UTF-8 保存") from None
    except ValueError as exc:
        raise ValueError(f"{path.name}：{exc}") from exc


@dataclass(frozen=True)
class Hit:
    """An entry found for a question; score ranks, coverage (0-1) says how much it explains."""

    entry: Entry
    score: float
    coverage: float = 0.0
    evidence: float = 0.0  # the weight of the question's words the entry explains


@dataclass(frozen=True)
class Match:
    """What to reply: `confident` (one entry), `ambiguous` (2-3 to choose from) or `none`."""

    kind: str
    hits: tuple[Hit, ...] = ()

    @property
    def entry(self) -> Entry | None:
        """The entry to answer with, when confident."""
        return self.hits[0].entry if self.kind == "confident" else None


def bm25(docs: list[list[str]]) -> list[dict[str, float]]:
    """Each document's BM25 weight per term (idf times saturated, length-normed tf)."""
    avg = sum(map(len, docs)) / max(1, len(docs)) or 1.0
    df = Counter(t for doc in docs for t in set(doc))
    out = []
    for doc in docs:
        norm = K1 * (1 - B + B * len(doc) / avg)
        out.append({t: math.log(1 + (len(docs) - df[t] + 0.5) / (df[t] + 0.5))
                    * tf * (K1 + 1) / (tf + norm) for t, tf in Counter(doc).items()})
    return out


def _value(item: tuple[int, float]) -> float:
    return item[1]


def _plausible(hit: Hit) -> bool:
    """Explains enough of the question to be offered at all."""
    return hit.evidence >= MIN_EVIDENCE / 2 and (
        hit.coverage >= FLOOR or hit.evidence >= SOME_EVIDENCE)


def _confident(top: Hit, runner_up: float) -> bool:
    """Whether the best hit may be answered alone, given the runner-up's share of its score."""
    if top.evidence < MIN_EVIDENCE:  # "你都能帮我干啥", "好的": too little said to be sure ...
        return top.evidence >= SHORT_EVIDENCE and top.coverage >= SHORT_COVERAGE \
            and runner_up < SHORT_RIVAL  # ... unless a short question is all explained, alone
    if top.coverage >= CONFIDENT and runner_up < CLOSE:
        return True
    if top.coverage >= SURE_COVERAGE and runner_up < SURE:
        return True
    if top.coverage >= EVIDENCE_COVERAGE and top.evidence >= EVIDENCE and runner_up < CLOSE:
        return True  # a long message with a clear policy question in it
    long_enough = top.coverage >= EVIDENCE_COVERAGE and top.evidence >= SOME_EVIDENCE
    return runner_up < DOMINANT and (top.coverage >= DOMINANT_COVERAGE or long_enough)


def _dot(terms: dict[str, float], weights: dict[str, float]) -> float:
    """Sum of boost times weight over the terms both share (a question has few terms)."""
    total = 0.0
    for term, boost in terms.items():
        weight = weights.get(term)
        if weight:
            total += boost * weight
    return total


def _fit(terms: dict[str, float], weights: dict[str, float]) -> float:
    """A variant's score, less when much of the variant is not in the question.

    "残疾人就业服务都包括什么" matches "残疾人就业服务四个一包括啥" word for word, but leaves
    out its 四个一: the variant that says no more than the question (the overview's) wins.
    """
    dot = _dot(terms, weights)
    if not dot or not VARIANT_FIT:
        return dot
    total = sum(weights.values())
    shared = sum(w for t, w in weights.items() if t in terms)
    return dot * (shared / total) ** VARIANT_FIT


def _phrase(text: str) -> str:
    """A question reduced to its characters (normalised, no spaces) for exact look-up."""
    return normalize(text).replace(" ", "")


class KnowledgeBase:
    """Entries plus their search index; build with `KnowledgeBase.load()`."""

    def __init__(self, entries: list[Entry], analyzer: Analyzer) -> None:
        self.entries = entries
        self.analyzer = analyzer
        terms = analyzer.terms
        asked = [[terms(normalize(q)) for q in e.questions] for e in entries]
        titles = [terms(normalize(" ".join((e.title,) + e.keywords))) for e in entries]
        told = [terms(normalize(e.answer + " " + e.detail)) for e in entries]
        flat, start = bm25([q for qs in asked for q in qs]), 0
        self._variants = []  # per entry: BM25 weights of each question, by question stats
        for qs in asked:
            self._variants.append(flat[start:start + len(qs)])
            start += len(qs)
        self._weights: list[dict[str, float]] = []  # per entry: all fields, weighted
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        fields = ((1.0, bm25([sum(qs, []) for qs in asked])), (TITLE_WEIGHT, bm25(titles)),
                  (ANSWER_WEIGHT, bm25(told)))
        for i in range(len(entries)):
            weights: dict[str, float] = defaultdict(float)
            for factor, docs in fields:
                for term, value in docs[i].items():
                    weights[term] += factor * value
            self._weights.append(dict(weights))
            for term, value in weights.items():
                self._postings[term].append((i, value))
        self._asked = [set(sum(qs, [])) | set(t) for qs, t in zip(asked, titles)]
        # A question typed as curated (or the title's lead) needs no ranking: answer it.
        self._phrases = {_phrase(text): i for i, e in enumerate(entries)
                         for text in (*e.questions, e.title.split("：")[0])}
        self._told = [set(doc) for doc in told]
        for term, found in self._postings.items():  # strongest first, the rest only rescored
            self._postings[term] = sorted(found, key=_value, reverse=True)[:POSTINGS]
        counts = Counter(t for doc in self._weights for t in doc)
        analyzer.learn(t for t, _ in counts.most_common())
        # A word found in most entries (残疾人, 就业) tells little about which one is meant.
        size = max(1, len(entries))
        self._common = {t: 1 - COMMON_DISCOUNT * n / size for t, n in counts.items()}
        self._answers = lru_cache(maxsize=ANSWER_CACHE)(self.decide)

    @classmethod
    def load(cls, folder: Path | None = None, userdict: Path | None = None,
             synonyms: Path | None = None) -> KnowledgeBase:
        """Read every entries/*.toml and build the index (dictionaries load here, once)."""
        logging.getLogger("jieba").setLevel(logging.WARNING)
        folder = folder or HERE / "entries"
        userdict = userdict or HERE / "userdict.txt"
        synonyms = synonyms or HERE / "synonyms.toml"
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        if userdict.exists():
            tokenizer.load_userdict(str(userdict))
        groups = tomllib.loads(synonyms.read_text("utf-8"))["groups"] if synonyms.exists() else []
        for word in {w for group in groups for w in group}:
            if len(word) > 1 and not tokenizer.FREQ.get(word):
                tokenizer.add_word(word)
        entries = [read_entry(p) for p in sorted(folder.glob("*.toml"))]
        return cls(entries, Analyzer(tokenizer, load_synonyms(groups)))

    def search(self, text: str, limit: int = 3, audience: str | None = None) -> list[Hit]:
        """The entries that best answer the text, best first."""
        words = self.analyzer.query(normalize(text))
        terms: dict[str, float] = {}
        for head, subs, _ in words:
            if head not in self._postings:  # parts of a word only when the word is unknown
                terms.update((sub, SUB_WEIGHT) for sub in subs if sub not in terms)
        terms.update((head, LIGHT_BOOST if head in LIGHT_WORDS else 1.0)
                     for head, _, _ in words)
        ranked = heapq.nlargest(RERANK, self._score(terms).items(), key=_value)
        for n, (entry, value) in enumerate(ranked):
            best = max(_fit(terms, q) for q in self._variants[entry])
            ranked[n] = (entry, value + VARIANT_WEIGHT * best)
        ranked = heapq.nlargest(max(limit, 1) + 2, ranked, key=_value)
        hits = []
        for i, value in ranked:
            coverage, evidence = self._coverage(i, words)
            if audience and audience in self.entries[i].audience:
                value *= AUDIENCE_BONUS
            score = value * (1 - MIX + MIX * coverage)
            hits.append(Hit(self.entries[i], score, coverage, evidence))
        return sorted(hits, key=lambda h: -h.score)[:limit]

    def _score(self, terms: dict[str, float]) -> dict[int, float]:
        """Exact scores of the entries found among each term's strongest postings."""
        found: dict[int, float] = defaultdict(float)
        for term, boost in terms.items():
            for entry, weight in self._postings.get(term, ()):
                found[entry] += boost * weight
        best = sorted(found, key=found.__getitem__, reverse=True)[:CANDIDATES]
        return {e: _dot(terms, self._weights[e]) for e in best}

    def _coverage(self, entry: int, words: list[tuple[str, tuple[str, ...], float]]
                  ) -> tuple[float, float]:
        """Share and weight of the question's words that the entry's wording explains."""
        asked, told = self._asked[entry], self._told[entry]
        got = total = 0.0
        for head, subs, weight in words:
            weight *= self._common.get(head, 1.0)
            total += weight
            if head in asked:
                got += weight
            elif head in told:
                got += 0.8 * weight
            elif subs:  # a word the entry lacks, but some of the words inside it
                share = sum(s in asked or s in told for s in subs) / len(subs)
                got += PART_CREDIT * weight * share
        return (got / total if total else 0.0), got

    def answer(self, text: str, audience: str | None = None) -> Match:
        """Decide between one confident answer, a short list to choose from, or nothing.

        The same question gets the same Match from the same entries (everything here is
        frozen), so the latest `ANSWER_CACHE` decisions are kept; a reload builds a new base.
        """
        return self._answers(text, audience)

    def decide(self, text: str, audience: str | None = None) -> Match:
        """`answer` without the cache (what `bench/bench_retrieval.py` times)."""
        found = self.search(text, limit=SHORTLIST, audience=audience)
        exact = self._phrases.get(_phrase(text))
        if exact is not None:
            hit = next((h for h in found if h.entry is self.entries[exact]), None)
            return Match("confident", (hit or Hit(self.entries[exact], 0.0, 1.0),))
        plausible = [h for h in found if _plausible(h)]  # high scores explaining little: noise
        if not plausible:
            return Match("none")
        top = plausible[0]  # the runner-up is the best other hit, plausible or not
        rival = max((h.score for h in found if h is not top), default=0.0)
        runner_up = rival / top.score if top.score else 0.0
        if _confident(top, runner_up):
            return Match("confident", (top,))
        close = [h for h in plausible[1:3] if h.score >= OPTION * top.score]
        return Match("ambiguous", (top, *close)) if close else Match("none")
