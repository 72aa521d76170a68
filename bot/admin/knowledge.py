"""Knowledge: the questions the bot could not answer, grouped and counted; staff add one to an
entry's question variants or draft a new entry. `kb check`'s validator runs before a change
goes live; every worker then reloads (knowledge/live.py) without a restart."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select, update

from bot.admin import actor, services
from bot.admin.forms import EntryForm, VariantForm, choices
from db.knowledge import record_change
from db.models import UnansweredQuestion
from knowledge.editing import add_variant, draft_entry, group_questions

blueprint = Blueprint("admin_knowledge", __name__, url_prefix="/admin/knowledge",
                      template_folder="templates")
LIMIT = 2000  # open questions grouped at once


def _ids(raw: str) -> list[int]:
    return [int(part) for part in raw.split(",") if part.isdigit()][:LIMIT]


@blueprint.get("/")
def index() -> str:
    """Unanswered questions grouped by similarity, most asked first, each with a form."""
    bot = services()
    kb = bot.kb
    with bot.sessions.begin() as db:
        rows = db.execute(select(UnansweredQuestion.id, UnansweredQuestion.question)
                          .where(UnansweredQuestion.status == "open")
                          .order_by(UnansweredQuestion.id.desc()).limit(LIMIT)).all()
    groups = group_questions(rows, kb.analyzer)
    options = choices(sorted(((e.id, e.title) for e in kb.entries), key=lambda c: c[1]))
    forms = []
    for group in groups[:50]:
        hits = kb.search(group.question, limit=1)
        form = VariantForm(formdata=None, question=group.question,
                           entry=hits[0].entry.id if hits else "")
        form.entry.choices = options
        forms.append((group, form, ",".join(map(str, group.ids))))
    return render_template("admin/knowledge.html", forms=forms, total=len(rows))


def _published(entry_id: str, change: str, ids: list[int]) -> None:
    """Record the change (the version every worker checks), close the questions, reload."""
    bot = services()
    with bot.sessions.begin() as db:
        record_change(db, entry_id, change, by=actor(), now=bot.clock())
        if ids:
            db.execute(update(UnansweredQuestion).where(UnansweredQuestion.id.in_(ids))
                       .values(status="answered"))
    bot.kb.reload()


@blueprint.post("/variant")
def variant() -> object:
    """Add the question to an entry's variants, if the entry still passes every check."""
    bot = services()
    form = VariantForm()
    form.entry.choices = choices((e.id, e.title) for e in bot.kb.entries)
    if not form.validate_on_submit():
        flash("没有加入：请填写问法并选择一条知识。")
        return redirect(url_for("admin_knowledge.index"))
    try:
        problems = add_variant(bot.kb.folder, form.entry.data, form.question.data)
    except KeyError:
        problems = ["没有这一条知识"]
    if problems:
        flash("没有加入，检查发现问题：" + "；".join(problems))
        return redirect(url_for("admin_knowledge.index"))
    _published(form.entry.data, "variant", _ids(request.form.get("ids", "")))
    flash(f"已把“{form.question.data.strip()}”加入知识“{form.entry.data}”，机器人已开始使用。")
    return redirect(url_for("admin_knowledge.index"))


@blueprint.route("/new", methods=["GET", "POST"])
def new() -> object:
    """Draft a new entry; it goes live only when `kb check` finds nothing wrong."""
    bot = services()
    form = EntryForm()
    ids = request.values.get("ids", "")
    if request.method == "GET" and request.args.get("question"):
        form.questions.data = request.args["question"]
    problems: list[str] = []
    if form.validate_on_submit():
        data = {"id": form.entry_id.data.strip(), "title": form.title.data.strip(),
                "audience": form.audience.data.split(","),
                "questions": [q.strip() for q in form.questions.data.splitlines() if q.strip()],
                "answer": form.answer.data.strip(), "source": form.source.data.strip(),
                "section": form.section.data.strip(), "period": form.period.data.strip()}
        problems = draft_entry(bot.kb.folder, data)
        if not problems:
            _published(data["id"], "new", _ids(ids))
            flash(f"新知识“{data['title']}”已通过检查并发布，机器人已开始使用。")
            return redirect(url_for("admin_knowledge.index"))
    return render_template("admin/knowledge_new.html", form=form, problems=problems, ids=ids)
