"""Tests for knowledge.text: normalize and the analyzer (jieba words, synonyms, pinyin)."""

import jieba
import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.text import Analyzer, load_synonyms, normalize, pinyin_keys


@pytest.mark.parametrize(("raw", "expected"), [
    ("就業困難殘疾人按啥標準認定", "就业困难残疾人按啥标准认定"),
    ("盲人按摩就業促進行動 主要目的是啥", "盲人按摩就业促进行动 主要目的是啥"),
    ("ＡＢＣ１２３　你好", "abc123 你好"),
    ("你好👋", "你好"),
    ("孩子残疾 想学门手艺😭 区里有培训不？？", "孩子残疾 想学门手艺 区里有培训不"),
    ("  残疾证，怎么办！  ", "残疾证 怎么办"),
    ("比例是1.5%。", "比例是1.5%"),
    ("河北政办〔2022〕15号", "河北政办 2022 15号"),
    ("Hi，在吗", "hi 在吗"),
    ("", ""),
    ("🙏🙏", ""),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_normalize_leaves_simplified_text_alone():
    text = "残疾人就业服务有哪些 乾隆"
    assert normalize(text) == text


@given(st.text(max_size=40))
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


def test_pinyin_keys_are_toneless_and_cover_character_readings():
    assert "canjiren" in pinyin_keys("残疾人")
    assert "fuzhuxing" in pinyin_keys("辅助性")


def test_load_synonyms_maps_each_word_to_the_group_head():
    canon = load_synonyms([["残疾", "残障", "伤残"], ["企业", "公司"]])
    assert canon == {"残疾": "残疾", "残障": "残疾", "伤残": "残疾", "企业": "企业",
                     "公司": "企业"}


@pytest.fixture(scope="module")
def analyzer():
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in ("辅助性就业", "保障金", "残疾人证"):
        tokenizer.add_word(word)
    made = Analyzer(tokenizer, load_synonyms([["什么", "嘛", "啥"], ["企业", "公司"]]))
    made.learn(["残疾人", "就业", "辅助性", "辅助性就业", "保障金", "企业", "什么", "服务"])
    return made


def test_terms_drop_stopwords_and_add_inner_words(analyzer):
    assert analyzer.terms("辅助性就业的") == ["辅助性就业", "辅助性", "辅助", "就业"]


def test_terms_use_synonym_heads(analyzer):
    assert analyzer.terms("公司搞些嘛") == ["企业", "搞", "什么"]


def test_query_repairs_pinyin_typos(analyzer):
    heads = [head for head, _, _ in analyzer.query("残急人就叶服务")]
    assert heads == ["残疾人", "就业", "服务"]


def test_query_repairs_a_typo_inside_a_word(analyzer):
    heads = [head for head, _, _ in analyzer.query("辅助行就业 保樟金")]
    assert heads == ["辅助性", "就业", "保障金"]


def test_query_keeps_real_words_it_does_not_know(analyzer):
    heads = [head for head, _, _ in analyzer.query("红烧肉咋做好吃")]
    assert heads[0] == "红烧肉"


def test_question_words_weigh_little(analyzer):
    weights = {head: weight for head, _, weight in analyzer.query("保障金是啥")}
    assert weights["什么"] < 1 < weights["保障金"]
