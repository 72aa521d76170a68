"""Tests for knowledge.base (load, search, answer) and knowledge.curation (check, render)."""

import logging
from pathlib import Path

import jieba
import pytest

from knowledge.base import Entry, Hit, KnowledgeBase, Match, read_entry
from knowledge.curation import ask, check, citation, render_answer, render_detail
from knowledge.text import normalize

SOURCE = "河北区促进残疾人就业三年行动实施方案（2022-2024年），河北政办〔2022〕15号"
ENTRIES = {
    "agencies": ("机关、事业单位带头安排残疾人就业", [
        "区级机关编制多少人以上要安排残疾人", "事业单位编制到多少人得招残疾人",
        "机关没达到比例最少安排几名残疾人", "学校幼儿园也要安排残疾人吗", "机关带头招残疾人是啥要求"],
        "编制50人（含）以上的区级机关、67人（含）以上的事业单位（中小学、幼儿园除外），"
        "未达到规定比例的，至少安排1名残疾人就业。"),
    "levy": ("残疾人就业保障金", [
        "残保金是啥钱", "哪些单位要交残保金", "没按比例安排残疾人要交钱吗", "残保金怎么计算",
        "残疾人就业保障金交给谁"],
        "用人单位安排残疾人就业达不到规定比例的，应当缴纳残疾人就业保障金。"),
    "private": ("民营企业助残就业平台", [
        "民营企业想招残疾员工找谁", "私企招残疾人有什么渠道", "民企助残就业平台是啥",
        "工商联和残联合作干什么", "民营企业安排残疾人就业"],
        "区残联与工商联、人力资源服务机构合作，为民营企业搭建助残就业平台。"),
    "sheltered": ("辅助性就业", [
        "啥叫辅助性就业", "智力残疾能参加辅助性就业吗", "辅助性就业面向哪些残疾人",
        "重度残疾有适合的就业方式吗", "精神残疾能做辅助性就业不"],
        "辅助性就业面向难以进入普通劳动力市场的智力、精神和重度肢体残疾人。"),
    "hardship": ("就业困难残疾人认定", [
        "就业困难残疾人怎么认定", "就业困难认定标准是啥", "就业困难残疾人有什么帮扶",
        "怎么才算就业困难人员", "就业援助包括哪些"],
        "按照天津市就业困难人员认定办法、就业援助办法认定，纳入就业援助范围。"),
    "training": ("残疾人职业技能培训", [
        "残疾人职业技能培训依托哪些学校", "残疾人想学技术去哪", "区里有残疾人培训班吗",
        "残疾人培训要钱吗", "残疾人技能培训怎么报名"],
        "对本区残疾人分类开展职业技能培训，依托高校、职业院校、特殊教育学校。"),
    "contest": ("残疾人职业技能大赛", [
        "残疾人技能大赛怎么参加", "有没有残疾人技能比赛", "全市残疾人职业技能大赛",
        "技能竞赛几年一次", "残疾人比赛拿奖有啥用"],
        "组织残疾人参加全市残疾人职业技能大赛。"),
    "target": ("三年行动目标", [
        "三年要新增多少残疾人就业", "三年行动的目标是啥", "方案目标人数",
        "区里三年帮多少残疾人找到工作", "新增就业目标"],
        "2022年至2024年实现全区新增残疾人就业822人。"),
}


def write_entry(folder: Path, entry_id: str, title: str, questions: list[str], answer: str,
                **extra: str) -> None:
    """Write one entry file the way staff do."""
    lines = [f'id = "{entry_id}"', f'title = "{title}"',
             'audience = ["jobseeker", "family", "employer"]',
             "questions = [" + ", ".join(f'"{q}"' for q in questions) + "]",
             f'answer = "{answer}"', f'source = "{SOURCE}"', 'section = "二、主要措施"',
             'period = "2022-2024年"'] + [f'{k} = "{v}"' for k, v in extra.items()]
    (folder / f"{entry_id}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    made = tmp_path_factory.mktemp("entries")
    for entry_id, (title, questions, answer) in ENTRIES.items():
        write_entry(made, entry_id, title, questions, answer)
    return made


@pytest.fixture(scope="module")
def kb(folder):
    return KnowledgeBase.load(folder)


def top_id(kb: KnowledgeBase, text: str) -> str:
    return kb.search(text, limit=1)[0].entry.id


def test_load_reads_every_entry_in_file_order(kb):
    assert [e.id for e in kb.entries] == sorted(ENTRIES)


def test_load_builds_entries_with_tuples(kb):
    entry = kb.entries[0]
    assert (entry.id, entry.audience, entry.detail, entry.keywords) == (
        "agencies", ("jobseeker", "family", "employer"), "", ())


def test_search_returns_hits_best_first(kb):
    hits = kb.search("区级机关编制多少人以上的 要安排残疾人就业", limit=3)
    assert hits[0].entry.id == "agencies"
    assert len(hits) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(isinstance(h, Hit) for h in hits)


@pytest.mark.parametrize(("text", "expected"), [
    ("事业单位67人以上要安排残疾人 有没有例外的", "agencies"),
    ("私企想招残障员工 上哪找人", "private"),  # synonyms: 私企=民营企业, 残障=残疾
    ("助残就业平台是工商联搞的吗", "private"),
    ("辅助行就业适合啥样的人", "sheltered"),  # pinyin typo 辅助行 -> 辅助性
    ("残保樟金交给谁", "levy"),  # pinyin typo 保樟金 -> 保障金
    ("就業困難殘疾人按啥標準認定", "hardship"),  # traditional characters
    ("孩子残疾 想学门手艺😭 区里有培训不", "training"),
    ("有没有残疾人技能比赛能参加", "contest"),
    ("三年行动 目标是新增多少人就业", "target"),
])
def test_search_finds_the_entry_people_mean(kb, text, expected):
    assert top_id(kb, text) == expected


def test_search_of_nothing_finds_nothing(kb):
    assert kb.search("") == []
    assert kb.search("👋！！") == []


def curated(kb: KnowledgeBase, text: str) -> bool:
    """Whether `text` is one of the entries' own questions (answered without any ranking)."""
    typed = normalize(text).replace(" ", "")
    return any(normalize(q).replace(" ", "") == typed for e in kb.entries for q in e.questions)


def test_answer_is_confident_for_a_clear_question(kb):
    question = "区级机关的编制到多少人 就得安排残疾人"  # a paraphrase: search must find it
    assert not curated(kb, question)
    match = kb.answer(question)
    assert (match.kind, match.entry.id) == ("confident", "agencies")
    assert len(match.hits) == 1


@pytest.mark.parametrize("text", ["红烧肉咋做好吃", "今晚双色球开几号", "你好", "", "快递怎么寄", "好的"])
def test_answer_is_none_for_unrelated_text(kb, text):
    assert kb.answer(text) == Match("none")


def test_answer_offers_choices_when_entries_are_close(kb):
    match = kb.answer("残疾人技能")
    assert match.kind == "ambiguous"
    assert {h.entry.id for h in match.hits} >= {"training", "contest"}
    assert 2 <= len(match.hits) <= 3
    assert match.entry is None


def test_load_uses_its_own_tokenizer_and_leaves_logging_alone(folder):
    handlers = list(logging.getLogger().handlers)
    KnowledgeBase.load(folder)
    assert "辅助性就业" not in jieba.dt.FREQ
    assert logging.getLogger().handlers == handlers
    assert logging.getLogger("jieba").level == logging.WARNING


def test_read_entry_rejects_missing_keys(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('id = "broken"\ntitle = "缺字段"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="broken.toml：缺少这些项：answer、source"):
        read_entry(path)


def test_entry_from_dict_rejects_wrong_types():
    data = {"id": "x", "title": "t", "audience": "jobseeker", "questions": ["q"] * 5,
            "answer": "a", "source": "s", "section": "s", "period": "p"}
    with pytest.raises(ValueError, match="这些项的类型不对：audience"):
        Entry.from_dict(data)


ENTRY = Entry(id="x", title="标题", audience=("jobseeker",), questions=("问",) * 5,
              answer="答案。", source="文件", section="第一条", period="2022-2024年")


def test_render_answer_without_detail():
    assert render_answer(ENTRY) == (
        "答案。\n出处：文件，第一条（2022-2024年）"
        "\n回复“菜单”看其他服务，回复“人工”找工作人员。")


def test_render_answer_and_detail_with_detail():
    entry = Entry(**{**ENTRY.__dict__, "detail": "细节。"})
    assert render_answer(entry) == (
        "答案。\n出处：文件，第一条（2022-2024年）\n回复1查看详细。"
        "\n回复“菜单”看其他服务，回复“人工”找工作人员。")
    assert render_detail(entry) == (
        "细节。\n出处：文件，第一条（2022-2024年）\n回复“菜单”看其他服务，回复“人工”找工作人员。")
    assert render_detail(ENTRY) == ""


def test_a_citation_is_brief_and_says_plainly_what_still_applies():
    entry = Entry(**{**ENTRY.__dict__,
                     "source": "河北区三年行动方案（河北政办〔2022〕15号）；《残疾人就业条例》（国务院令第488号）",
                     "section": "方案二（八）；条例第二十二条", "period": "方案已结束；条例现行有效",
                     "now": "就业服务免费。"})
    assert citation(entry) == ("\n出处：河北政办〔2022〕15号（2022—2024年方案）；《残疾人就业条例》，"
                               "方案二（八）；条例第二十二条\n现在：就业服务免费。")


def test_check_accepts_good_entries(folder):
    assert check(folder) == []


def test_check_reports_each_problem(tmp_path):
    five = ["问题一", "问题二", "问题三", "问题四", "问题五"]
    write_entry(tmp_path, "good", "好", five, "答。")
    write_entry(tmp_path, "copy", "抄", ["问题一？", "别的一", "别的二", "别的三", "别的四"], "答。")
    write_entry(tmp_path, "few", "少", ["只有一个"], "答。")
    write_entry(tmp_path, "other-name", "名", ["甲一", "甲二", "甲三", "甲四", "甲五"], "答。")
    (tmp_path / "other-name.toml").rename(tmp_path / "renamed.toml")
    write_entry(tmp_path, "long", "长", ["乙一", "乙二", "乙三", "乙四", "乙五"], "很" * 480,
                detail="细" * 501)
    write_entry(tmp_path, "phone", "电话", ["丙一", "丙二", "丙三", "丙四", "丙五"],
                "请拨打 2345 6789。")
    (tmp_path / "nosource.toml").write_text(
        'id = "nosource"\ntitle = "t"\naudience = ["staff"]\nquestions = ["a","b","c","d","e"]'
        '\nanswer = "a"\nsection = "s"\nperiod = "p"\n', encoding="utf-8")
    (tmp_path / "bad.toml").write_text('id = "bad\n', encoding="utf-8")
    problems = check(tmp_path)
    assert [p.split("：")[0] for p in problems] == [
        "bad.toml", "few.toml", "good.toml", "long.toml", "long.toml", "nosource.toml",
        "phone.toml", "renamed.toml"]
    assert "TOML 格式不对" in problems[0] and "问法少于 5 个" in problems[1]
    assert "问法“问题一”和 copy 里的重复了" in problems[2]
    assert "回答连出处共" in problems[3] and "详细说明连出处共" in problems[4]
    assert "缺少这些项：source" in problems[5]
    assert "连续 7 位以上的数字" in problems[6]
    assert "和文件名不一致" in problems[7]


def test_check_reports_an_empty_folder(tmp_path):
    assert check(tmp_path) == [f"{tmp_path}：没有知识条目文件"]


def test_ask_reports_decision_and_ranking(kb):
    report = ask(kb, "区级机关编制多少人以上要安排残疾人")
    lines = report.splitlines()
    assert lines[:2] == ["问题：区级机关编制多少人以上要安排残疾人", "判断：confident"]
    assert lines[2].startswith("1. agencies  score=")
    assert render_answer(kb.entries[0]) in report


REAL = Path(__file__).resolve().parents[1] / "knowledge" / "entries"
needs_real = pytest.mark.skipif(not any(REAL.glob("*.toml")), reason="no entries yet")
# Questions as people type them (from the development set), and the entry that answers them.
REAL_PAIRS = [
    ("河北区残疾人就业三年行动 目标是新增多少人就业", "plan-target-822"),
    ("区级机关编制多少人以上的 要安排残疾人就业", "m1-agencies-quota"),
    ("国企安排残疾人就业的情况 要写进啥报告里", "m2-social-report"),
    ("助残就业行动具体搞些嘛", "m4-social-forces"),
    ("就業困難殘疾人按啥標準認定", "m5-difficulty-recognition"),
    ("盲人医疗按摩考试 依托哪个机构组织", "m7-blind-massage"),
    ("四个一是哪四个一", "m8-four-ones"),
    ("孩子残疾 想学门手艺😭 区里有培训不", "m9-training"),
    ("方案执行情况年度报告 最晚啥时候交", "r4-annual-report"),
    # "which departments" for a measure named in the plan's words goes to the measure
    ("职业技能提升这块 哪些单位负责", "m9-training"),
    ("残疾人就业服务提升行动 谁来牵头", "m8-four-ones"),
]


@needs_real
def test_real_entries_pass_check():
    assert check(REAL) == []


@pytest.fixture(scope="module")
def real_kb():
    return KnowledgeBase.load()


@needs_real
@pytest.mark.parametrize(("text", "expected"), REAL_PAIRS)
def test_real_entries_answer_typical_questions(real_kb, text, expected):
    assert not curated(real_kb, text)  # people's own words: found by search, not by look-up
    match = real_kb.answer(text)
    assert (match.kind, match.entry and match.entry.id) == ("confident", expected)


@needs_real
@pytest.mark.parametrize(("text", "not_heard"), [("有没有只招残疾人的国企工作", "执照"),
                                                 ("方案执行到哪年为止", "那年"),
                                                 ("想工作但一直没找着活", "照着")])
def test_typo_repair_never_spans_a_glue_character(real_kb, text, not_heard):
    heads = [head for head, _, _ in real_kb.analyzer.query(normalize(text))]
    assert not_heard not in heads


@needs_real
@pytest.mark.parametrize("text", ["国企招残疾人行不行", "残疾人能不能参加培训"])
def test_a_not_a_questions_weigh_as_question_words(real_kb, text):
    weights = {head: weight for head, _, weight in real_kb.analyzer.query(normalize(text))}
    assert weights.get("行不行", weights.get("能不能")) == 0.5
    assert "不能" not in weights


@needs_real
@pytest.mark.parametrize("text", ["红烧肉咋做好吃", "今晚双色球开几号", "你好👋", "我想养条狗",
                                  "你都能帮我干啥", "北京残疾人就业有啥补贴"])
def test_real_entries_do_not_answer_unrelated_text(real_kb, text):
    assert real_kb.answer(text).kind != "confident"


def test_a_question_typed_as_curated_is_answered_with_its_entry():
    from knowledge.base import KnowledgeBase

    kb = KnowledgeBase.load()
    for entry in kb.entries[:20]:
        question = entry.questions[0]
        match = kb.answer(question + "？")
        assert (match.kind, match.entry.id) == ("confident", entry.id), question
