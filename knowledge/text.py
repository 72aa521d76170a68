"""Text clean-up and term analysis shared by the knowledge base and the scope checks."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jieba

_KEEP = re.compile(r"[^0-9a-z%\x00\u3400-\u4dbf\u4e00-\u9fff]+")  # \x00 marks a decimal point
_DECIMAL = re.compile(r"(?<=\d)\.(?=\d)")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
CACHE_SIZE = 50_000
_converter = None
_traditional: frozenset[str] = frozenset()

# Particles and pronouns that say nothing about which policy is meant.
STOPWORDS = frozenset(
    "的 了 吗 呢 啊 吧 呀 哦 噢 嗯 哈 哎 诶 啦 喽 嘞 呗 么 地 得 着 过 和 与 及 跟 或 也 都 就 还 又 在 "
    "是 由 我 你 您 他 她 它 我们 你们 他们 咱们 咱 俺 这 那 这个 那个 这些 那些 这块 一下 下 个 些 "
    "请问 问问 问 想问 问一下 请 麻烦 一个 那么 这么 呗 嘛呢 然后 就是 还是 可以 能 会 要 "
    # English glue words, for questions typed partly or wholly in English
    "a an the is are am be i me my you your he she his her it its we our they their this that "
    "there here can could will would do does did to of in on at for with and or any some get "
    "how what which who where when please plz pls hi".split()
)


PARTICLES = "吗呢吧啊呀"
# Characters that glue a sentence together: a span with one is no typo of a term
# (只招 is not 执照, 找着 not 照着, 出了 not 除了, 去的 not 取得, 哪年 not 那年).
GLUE = frozenset("的了着过是只去出来在不没都也还又把被让给对向从到哪几啥嘛咋")  # jieba sometimes keeps one on a word: 有用吗, 行不行啊

# Words that say little about which entry is meant: question words, and where the asker is.
LIGHT_WORDS = frozenset(
    "什么 啥 嘛 咋 怎么 如何 怎样 怎么办 咋办 多少 几 几个 几名 哪 哪些 哪个 哪里 哪儿 谁 为什么 为啥 "
    "是否 有没有 能不能 会不会 不会 要不要 可不可以 是不是 吗 具体 主要 一般 都 有 没 没有 不 "
    "还有 有些 哪几个 几次 啥样 什么样 怎么样 咋样 河北区 天津 区 市 咱们区 "
    "啥时候 什么时候 何时 几时 多会儿 哪天 咋回事 怎么回事 回事 "
    # "哪年" (not the repaired 那年), A-not-A questions and "do what" (not 能干, 行不行 as words)
    "哪年 哪一年 哪年哪月 几几年 能不能 要不要 行不行 通不通 好不好 干嘛 干啥 干些啥 干点啥 "
    "咋搞 咋弄 啥意思 什么意思 啥样 咋整 享受 人".split()
)


def _load_converter() -> None:
    """Build the OpenCC t2s converter once, with the set of characters it can change."""
    global _converter, _traditional
    from opencc import OpenCC

    converter = OpenCC("t2s")
    converter.convert("")  # loads the dictionaries
    chars = set()  # characters t2s changes; text without any of them is left as it is
    for group in converter._dict_chain_data:
        for _, _, mapping in group:
            chars.update(k for k, v in mapping.items() if len(k) == 1 and k != v)
    _traditional = frozenset(chars)
    _converter = converter


@lru_cache(maxsize=4096)  # the route predicates and the search normalise the same message
def normalize(text: str) -> str:
    """Simplified, half-width, lower-case text without emoji, punctuation or extra spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower().replace("\x00", " ")
    if _converter is None:
        _load_converter()
    if not _traditional.isdisjoint(text):
        text = _converter.convert(text)
    text = _KEEP.sub(" ", _DECIMAL.sub("\x00", text))
    return text.replace("\x00", ".").strip()


def is_cjk(text: str) -> bool:
    """True when the text contains a Chinese character."""
    return _CJK.search(text) is not None


@lru_cache(maxsize=8192)
def char_pinyin(char: str) -> str:
    """Toneless pinyin of one character (the character itself when it has none)."""
    from pypinyin import lazy_pinyin  # imported on first use: it loads a large table

    return lazy_pinyin(char)[0]


def pinyin_keys(word: str) -> set[str]:
    """Toneless pinyin spellings of a word: in context and character by character."""
    from pypinyin import lazy_pinyin

    return {"".join(lazy_pinyin(word)), "".join(char_pinyin(ch) for ch in word)}


def load_synonyms(groups: Iterable[Iterable[str]]) -> dict[str, str]:
    """Map every word of a synonym group to the group's first word."""
    canon: dict[str, str] = {}
    for group in groups:
        words = [normalize(word) for word in group]
        for word in words:
            canon.setdefault(word, words[0])
    return canon


class Analyzer:
    """Turns text into terms: jieba words, their dictionary sub-words, synonyms, pinyin fixes."""

    def __init__(self, tokenizer: jieba.Tokenizer, synonyms: dict[str, str]) -> None:
        self.tokenizer = tokenizer
        self.synonyms = synonyms
        self.total = float(tokenizer.total)
        self.vocabulary: set[str] = set()
        self.by_pinyin: dict[str, str] = {}
        self._parts: dict[str, list[str]] = {}
        self._words: dict[str, tuple[str, tuple[str, ...], float]] = {}

    def words(self, text: str) -> list[str]:
        """Jieba words of normalized text, without spaces or a glued-on particle (有用吗)."""
        return [self._unglued(w) for w in self.tokenizer.lcut(text, HMM=False) if w.strip()]

    def _unglued(self, word: str) -> str:
        """The word without a final question particle, when jieba glued one on."""
        if len(word) >= 3 and word[-1] in PARTICLES and self.tokenizer.FREQ.get(word[:-1]):
            return word[:-1]
        return word

    def parts(self, word: str) -> list[str]:
        """Words inside a long word: its best split without itself, two levels deep."""
        if len(word) < 3 or not is_cjk(word):
            return []
        if word not in self._parts:
            dag = self.tokenizer.get_DAG(word)
            dag[0] = [end for end in dag[0] if end != len(word) - 1] or [0]
            route: dict = {}
            self.tokenizer.calc(word, dag, route)
            found, start = [], 0
            while start < len(word):
                stop = route[start][1] + 1
                piece = word[start:stop]
                if len(piece) > 1 and piece not in STOPWORDS:
                    found += [piece] + self.parts(piece)
                start = stop
            self._parts[word] = found
        return self._parts[word]

    def canon(self, word: str) -> str:
        """The synonym group's head word, or the word itself."""
        return self.synonyms.get(word, word)

    def terms(self, text: str) -> list[str]:
        """Index terms of normalized text: canonical words and sub-words, stopwords dropped."""
        found = []
        for word in self.words(text):
            if word not in STOPWORDS:
                found.append(self.canon(word))
                found += [self.canon(p) for p in self.parts(word)]
        return found

    def learn(self, terms: Iterable[str]) -> None:
        """Record the index vocabulary (most frequent first) and its pinyin, for typo repair."""
        terms = list(terms)
        self.vocabulary.update(terms)
        words = terms + [w for w, head in self.synonyms.items() if head in self.vocabulary]
        for word in words:
            if len(word) >= 2 and is_cjk(word):
                for key in pinyin_keys(word):
                    self.by_pinyin.setdefault(key, self.canon(word))

    def weight(self, word: str) -> float:
        """How telling a word is in general Chinese (rare words weigh more), 0.5..10."""
        if word in LIGHT_WORDS or (word.isdigit() and word not in self.vocabulary):
            return 0.5  # a question word, or a number no entry uses (an age, a head count)
        freq = self.tokenizer.FREQ.get(word) or 0
        cap = 10.0 if len(word) > 1 or word != self.canon(word) else 2.0  # 交, 领, 办 ...
        return min(cap, max(0.5, math.log(self.total / (freq + 50)) - 5.0))

    def query(self, text: str) -> list[tuple[str, tuple[str, ...], float]]:
        """Query words as (canonical term, its sub-terms, weight); sound-alike typos repaired."""
        words = self.words(text)
        odd = [len(w) == 1 and w not in STOPWORDS and is_cjk(w) for w in words]
        out, i, stray = [], 0, ""
        while i < len(words):
            size, fixed = self._repair(words, odd, i) if any(odd[i:i + 3]) else (1, None)
            if not fixed and odd[i] and self.canon(words[i]) not in self.vocabulary:
                stray += words[i]  # characters jieba could not place: maybe one unknown word
            else:
                out += self._stray(stray)
                stray = ""
                if fixed:
                    out.append((fixed, (), self.weight(fixed)))
                elif words[i] not in STOPWORDS:
                    out.append(self._word(words[i]))
            i += size
        return out + self._stray(stray)

    def _stray(self, chars: str) -> list[tuple[str, tuple[str, ...], float]]:
        """A run of unplaced characters as one word, weighing as much as an unknown word."""
        if len(chars) < 2:
            return [self._word(chars)] if chars else []
        return [(chars, tuple(chars), self.weight(chars))]

    def _word(self, word: str) -> tuple[str, tuple[str, ...], float]:
        """A query word's canonical term, sub-terms and weight (cached)."""
        if word not in self._words:
            if len(self._words) > CACHE_SIZE:  # people type endless new words: stay bounded
                self._words.clear()
                self._parts.clear()
            head = self.canon(word)
            subs = tuple(t for t in dict.fromkeys(map(self.canon, self.parts(word))) if t != head)
            self._words[word] = (head, subs, min(self.weight(word), self.weight(head)))
        return self._words[word]

    def _repair(self, words: list[str], odd: list[bool], start: int) -> tuple[int, str | None]:
        """Longest span of 1-3 words at start, with a stray character, that sounds like a term."""
        for stop in range(min(len(words), start + 3), start, -1):
            text = "".join(words[start:stop])
            if not 2 <= len(text) <= 4 or not any(odd[start:stop]) or not is_cjk(text) \
                    or not GLUE.isdisjoint(text):
                continue
            if self.canon(text) not in self.vocabulary:
                hit = self.by_pinyin.get("".join(char_pinyin(ch) for ch in text))
                if hit:
                    return stop - start, hit
        return 1, None
