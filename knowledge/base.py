"""The policy knowledge base: entries from TOML files, ranked by BM25 with synonyms and pinyin."""

from __future__ import annotations

import logging
import math
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import jieba

from knowledge.text import Analyzer, load_synonyms, normalize

HERE = Path(__file__).resolve().parent
K1, B = 1.2, 0.75
FIELD_WEIGHTS = {"question": 1.0, "title": 0.5, "answer": 0.3}
SUB_WEIGHT = 0.5  # a sub-word of a query word counts half
CONFIDENT, CLOSE, FLOOR = 0.62, 0.8, 0.38  # coverage needed; runner-up ratio; coverage floor


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

    @classmethod
    def from_dict(cls, data: dict) -> Entry:
        """Build an entry from parsed TOML; raises ValueError on a missing or mistyped key."""
        texts = ("id", "title", "answer", "source", "section", "period")
        lists = ("audience", "questions")
        missing = [k for k in texts + lists if k not in data]
        if missing:
            raise ValueError("missing " + ", ".join(missing))
        bad = [k for k in texts + ("detail",) if not isinstance(data.get(k, ""), str)]
        bad += [k for k in lists + ("keywords",) if not _str_list(data.get(k, []))]
        if bad:
            raise ValueError("wrong type: " + ", ".join(bad))
        return cls(**{k: data[k] for k in texts}, detail=data.get("detail", ""),
                   audience=tuple(data["audience"]), questions=tuple(data["questions"]),
                   keywords=tuple(data.get("keywords", [])))


def _str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def read_entry(path: Path) -> Entry:
    """Parse one entry file; raises ValueError naming the file when it is not valid."""
    try:
        return Entry.from_dict(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path.name}: {exc}") from exc


@dataclass(frozen=True)
class Hit:
    """An entry found for a question; score ranks, coverage (0-1) says how much it explains."""

    entry: Entry
    score: float
    coverage: float = 0.0


@dataclass(frozen=True)
class Match:
    """What to reply: `confident` (one entry), `ambiguous` (2-3 to choose from) or `none`."""

    kind: str
    hits: tuple[Hit, ...] = ()

    @property
    def entry(self) -> Entry | None:
        """The entry to answer with, when confident."""
        return self.hits[0].entry if self.kind == "confident" else None


@dataclass
class _Field:
    """BM25 postings of one field: term -> [(document, weight)], weights precomputed."""

    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    @classmethod
    def build(cls, docs: list[list[str]]) -> _Field:
        avg = sum(map(len, docs)) / max(1, len(docs)) or 1.0
        df = Counter(t for doc in docs for t in set(doc))
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            norm = K1 * (1 - B + B * len(doc) / avg)
            for term, tf in Counter(doc).items():
                idf = math.log(1 + (len(docs) - df[term] + 0.5) / (df[term] + 0.5))
                postings[term].append((i, idf * tf * (K1 + 1) / (tf + norm)))
        return cls(dict(postings))

    def score(self, terms: list[tuple[str, float]]) -> dict[int, float]:
        acc: dict[int, float] = defaultdict(float)
        for term, boost in terms:
            for doc, weight in self.postings.get(term, ()):
                acc[doc] += boost * weight
        return acc


class KnowledgeBase:
    """Entries plus their search index; build with `KnowledgeBase.load()`."""

    def __init__(self, entries: list[Entry], analyzer: Analyzer) -> None:
        self.entries = entries
        self.analyzer = analyzer
        terms = analyzer.terms
        owner, questions = [], []
        for i, entry in enumerate(entries):
            for q in entry.questions:
                owner.append(i)
                questions.append(terms(normalize(q)))
        self._owner = owner
        titles = [terms(normalize(" ".join((e.title,) + e.keywords))) for e in entries]
        answers = [terms(normalize(e.answer + " " + e.detail)) for e in entries]
        self._questions = _Field.build(questions)
        self._titles = _Field.build(titles)
        self._answers = _Field.build(answers)
        self._asked = [set() for _ in entries]  # terms of questions, title and keywords
        for i, doc in zip(owner, questions):
            self._asked[i].update(doc)
        for i, doc in enumerate(titles):
            self._asked[i].update(doc)
        self._told = [set(doc) for doc in answers]
        counts = Counter(t for doc in questions + titles + answers for t in set(doc))
        analyzer.learn(t for t, _ in counts.most_common())

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
        terms = [(head, 1.0) for head, _, _ in words]
        terms += [(sub, SUB_WEIGHT) for _, subs, _ in words for sub in subs]
        best: dict[int, float] = {}
        for doc, value in self._questions.score(terms).items():
            entry = self._owner[doc]
            best[entry] = max(best.get(entry, 0.0), value)
        total: dict[int, float] = defaultdict(float)
        for name, scores in (("question", best), ("title", self._titles.score(terms)),
                             ("answer", self._answers.score(terms))):
            for entry, value in scores.items():
                total[entry] += FIELD_WEIGHTS[name] * value
        ranked = sorted(total.items(), key=lambda item: -item[1])[: max(limit, 1) * 3]
        hits = [Hit(self.entries[i], s, self._coverage(i, words)) for i, s in ranked]
        if audience:
            hits.sort(key=lambda h: audience not in h.entry.audience)
        hits.sort(key=lambda h: -(h.coverage * 0.5 + 0.5) * h.score)
        return hits[:limit]

    def _coverage(self, entry: int, words: list[tuple[str, tuple[str, ...], float]]) -> float:
        """Share of the query's weight that the entry's wording explains."""
        asked, told = self._asked[entry], self._told[entry]
        got = total = 0.0
        for head, subs, weight in words:
            total += weight
            if head in asked:
                got += weight
            elif head in told:
                got += 0.8 * weight
            elif any(s in asked or s in told for s in subs):
                got += 0.5 * weight
        return got / total if total else 0.0

    def answer(self, text: str, audience: str | None = None) -> Match:
        """Decide between one confident answer, a short list to choose from, or nothing."""
        hits = self.search(text, limit=3, audience=audience)
        if not hits or hits[0].coverage < FLOOR:
            return Match("none")
        top = hits[0]
        close = [h for h in hits[1:] if h.score >= CLOSE * top.score and h.coverage >= FLOOR]
        if top.coverage >= CONFIDENT and not close:
            return Match("confident", (top,))
        return Match("ambiguous", tuple([top] + close)) if close else Match("none")
