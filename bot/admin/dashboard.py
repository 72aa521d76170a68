"""The console's first page: a card per figure, then the progress toward the plan's 822.

`CARDS` is a list of functions (session, services) -> Card; the bookings and events modules
add theirs (bookings this week, events coming) by appending to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Blueprint, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.admin import services
from bot.admin.charts import bar_chart
from db.models import Handoff, OutboundMessage, Registration
from db.registrations import EMPLOYMENT_TARGET, employed_by_street, employed_by_year

blueprint = Blueprint("admin_home", __name__, url_prefix="/admin", template_folder="templates")


@dataclass(frozen=True)
class Card:
    """One figure on the dashboard, with what it means and where to act on it."""

    title: str
    figure: str
    lines: tuple[str, ...] = ()
    link: tuple[str, str] | None = None  # (endpoint, label)
    urgent: bool = False


def registrations_card(db: Session, bot: Any) -> Card:
    """How many registrations, and how many still wait for a first contact."""
    total = db.scalar(select(func.count()).select_from(Registration))
    waiting = db.scalar(select(func.count()).select_from(Registration)
                        .where(Registration.status == "待联系"))
    return Card("就业登记", f"{total} 人", (f"待联系 {waiting} 人",),
                ("admin_registrations.index", "查看登记"))


def handoffs_card(db: Session, bot: Any) -> Card:
    """Handoffs nobody has answered yet, urgent ones first."""
    rows = dict(db.execute(select(Handoff.urgent, func.count()).where(Handoff.status == "open")
                           .group_by(Handoff.urgent)).all())
    urgent, normal = rows.get(True, 0), rows.get(False, 0)
    return Card("等待回复的转人工", f"{urgent + normal} 个", (f"其中紧急 {urgent} 个",),
                ("admin_handoffs.index", "去回复"), urgent=urgent > 0)


def notices_card(db: Session, bot: Any) -> Card:
    """Messages sent through message/send: sent, failed, waiting."""
    counts = dict(db.execute(select(OutboundMessage.status, func.count())
                             .where(OutboundMessage.status.in_(("sent", "failed", "pending")))
                             .group_by(OutboundMessage.status)).all())
    return Card("主动发送的消息", f"{counts.get('sent', 0)} 条已送达",
                (f"发送失败 {counts.get('failed', 0)} 条", f"等待发送 {counts.get('pending', 0)} 条"),
                urgent=counts.get("failed", 0) > 0)


def employment_card(db: Session, bot: Any) -> Card:
    """Newly employed so far against the plan's target."""
    done = sum(employed_by_year(db).values())
    return Card("新增残疾人就业", f"{done} / {EMPLOYMENT_TARGET} 人",
                (f"完成 {done * 100 / EMPLOYMENT_TARGET:.1f}%",))


CARDS: list[Callable[[Session, Any], Card]] = [handoffs_card, registrations_card, employment_card,
                                               notices_card]


@blueprint.get("/")
def index() -> str:
    """The dashboard."""
    bot = services()
    with bot.sessions.begin() as db:
        cards = [card(db, bot) for card in CARDS]
        years = sorted(employed_by_year(db).items())
        streets = list(employed_by_street(db).items())
    done = sum(n for _, n in years)
    chart = bar_chart("按年份统计的新增残疾人就业人数", [(f"{y}年", n) for y, n in years]
                      + [("合计", done)], target=EMPLOYMENT_TARGET)
    return render_template("admin/dashboard.html", cards=cards, years=years, streets=streets,
                           done=done, target=EMPLOYMENT_TARGET, chart=chart)
