"""Staff improve the knowledge base: unanswered questions grouped by similarity, a question
added to an entry's variants, a new entry drafted. Every change is validated by the same
checks as `kb check` on a copy of the folder before it replaces anything."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from knowledge.curation import check
from knowledge.text import normalize

KEYS = ("id", "title", "audience", "questions", "keywords", "answer", "detail", "source",
        "section", "period")
ENTRY_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
SIMILAR = 0.5  # Jaccard similarity of two questions' terms to put them in one group


@dataclass
class Group:
    """Unanswered questions that say much the same; `ids` are their database ids."""

    question: str
    ids: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    terms: set[str] = field(default_factory=set)

    @property
    def count(self) -> int:
        """How many times it was asked."""
        return len(self.ids)


def group_questions(rows: Iterable[tuple[int, str]], analyzer: Any) -> list[Group]:
    """Group (id, question) rows by the similarity of their terms, biggest group first."""
    groups: list[Group] = []
    for row_id, question in rows:
        terms = set(analyzer.terms(normalize(question))) or {normalize(question)}
        best, score = None, 0.0
        for group in groups:
            overlap = len(terms & group.terms) / len(terms | group.terms)
            if overlap > score:
                best, score = group, overlap
        if best is None or score < SIMILAR:
            best = Group(question)
            groups.append(best)
        best.ids.append(row_id)
        best.terms |= terms
        if question not in best.examples and len(best.examples) < 5:
            best.examples.append(question)
    return sorted(groups, key=lambda g: -g.count)


def dump_entry(data: dict[str, Any]) -> str:
    """An entry as TOML in the usual key order (long texts as multi-line strings)."""
    lines = []
    for key in KEYS:
        value = data.get(key)
        if value in (None, "", []) and key not in ("id", "title", "answer", "source",
                                                    "section", "period"):
            continue
        if isinstance(value, list):
            items = "".join(f"  {_string(v)},\n" for v in value)
            lines.append(f"{key} = [\n{items}]")
        else:
            lines.append(f"{key} = {_string(str(value or ''), multiline=True)}")
    return "\n".join(lines) + "\n"


def _string(text: str, multiline: bool = False) -> str:
    if multiline and "\n" in text and '"""' not in text and "\\" not in text:
        return f'"""{text}"""'
    return json.dumps(text, ensure_ascii=False)  # JSON strings are valid TOML basic strings


def read_data(folder: Path, entry_id: str) -> dict[str, Any]:
    """The parsed TOML of one entry (KeyError when there is no such file)."""
    path = folder / f"{entry_id}.toml"
    if not ENTRY_ID.fullmatch(entry_id) or not path.exists():
        raise KeyError(entry_id)
    return tomllib.loads(path.read_text(encoding="utf-8"))


def add_variant(folder: Path, entry_id: str, question: str) -> list[str]:
    """Add a question to an entry's variants; the problems found (nothing written) or []."""
    question = question.strip()
    if not question:
        return ["问题不能为空"]
    data = read_data(folder, entry_id)
    if normalize(question) in {normalize(q) for q in data.get("questions", [])}:
        return [f"“{question}”已经是这一条的问法"]
    data["questions"] = [*data.get("questions", []), question]
    return write_checked(folder, entry_id, dump_entry(data))


def draft_entry(folder: Path, data: dict[str, Any]) -> list[str]:
    """Write a new entry when it passes the checks; the problems found or []."""
    entry_id = str(data.get("id", ""))
    if not ENTRY_ID.fullmatch(entry_id):
        return ["编号只能用小写英文字母、数字和连字符（-），2 到 63 个字符"]
    if (folder / f"{entry_id}.toml").exists():
        return [f"编号 {entry_id} 已经有了"]
    return write_checked(folder, entry_id, dump_entry(data))


def write_checked(folder: Path, entry_id: str, content: str) -> list[str]:
    """Check the folder as it would be with this file; replace the file only if it passes."""
    name = f"{entry_id}.toml"
    with tempfile.TemporaryDirectory(prefix="kb-check-") as scratch:
        trial = Path(scratch)
        for path in folder.glob("*.toml"):
            shutil.copy(path, trial / path.name)
        before = set(check(trial))
        (trial / name).write_text(content, encoding="utf-8")
        problems = [p for p in check(trial) if p not in before]
    if problems:
        return problems
    temporary = folder / f".{name}.tmp"
    temporary.write_text(content, encoding="utf-8")
    os.replace(temporary, folder / name)  # atomic: a reloading worker never reads half a file
    return []
