"""Accessibility of every console page, checked by tools in the real browser (Debian's
chromium through Playwright), logged in as an admin, with data on every page:

- axe-core (the version pinned in tests/a11y/package-lock.json; `make test` runs `npm ci`
  there) with the WCAG 2.0/2.1/2.2 A and AA rules and its best practices: labels, landmarks,
  headings, lang, names of images and SVG, contrast computed from the page's styles, ...;
- our own checks beside it: exactly one h1, a main landmark, lang="zh-CN", no duplicate ids,
  every visible link, button and field reached by Tab, and at a phone's width (375 px) no
  horizontal scrolling of the page.
Screenshots of the dashboard, an event's sign-ups with attendance marked and a form with an
error go to $BOT_SCREENSHOTS/console (a temporary folder otherwise)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from db import registrations as regs
from db.catalogue import find_service, seed_services
from db.event_attendance import mark
from db.models import EmployerSignup, EventSignup, Handoff, Registration, Service, Slot
from db.slots import add_slot
from tests.console import PASSWORDS, add_accounts
from tests.dialog import register, rows, run, say
from tests.event_helpers import new_event
from tests.test_console_browser import NEW_QUESTION, NOW, browser, live, shoot  # noqa: F401

AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
PHONE = {"width": 375, "height": 800}
FOCUSABLE = """() => {
  const all = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex="0"]')];
  const shown = all.filter(e => !e.disabled && e.getClientRects().length &&
                                getComputedStyle(e).visibility !== 'hidden');
  shown.forEach((e, i) => e.setAttribute('data-tab-index', i));
  return shown.length;
}"""
OWN_CHECKS = """() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  return {h1: document.querySelectorAll('h1').length,
          main: document.querySelectorAll('main, [role=main]').length,
          lang: document.documentElement.lang,
          duplicates: ids.filter((id, i) => ids.indexOf(id) !== i),
          overflow: document.documentElement.scrollWidth - window.innerWidth};
}"""


@pytest.fixture
def axe_source() -> str:
    """axe-core as `make test` installed it (npm ci in tests/a11y)."""
    if not AXE.exists():
        pytest.fail("the accessibility test needs axe-core: run 'make axe' "
                    "(npm ci in tests/a11y; make test does it)")
    return AXE.read_text(encoding="utf-8")


def data_on_every_page(chat: Any) -> dict[str, int]:
    """A registration with a plan, a handoff, an unanswered question, a slot with a booking,
    a published job fair with residents and an employer signed up (one marked)."""
    services = chat.services
    add_accounts(services)
    with services.sessions.begin() as session:
        seed_services(session, now=NOW)
        service = find_service(session, "职业能力评估")
        add_slot(session, service_id=service.id, starts_at=NOW + timedelta(days=4),
                 minutes=60, capacity=4, place="河北区残联服务大厅（一楼，无台阶）", now=NOW)
    register(chat, "a11y-grad", name="欧阳明远")
    say(chat, "a11y-waiting", "人工")
    say(chat, "a11y-curious", NEW_QUESTION)
    run(chat, "a11y-booker", ["我想约个职业能力评估", "1", "1 4", "需要低一点的桌子"])
    event_id = new_event(services)
    with services.sessions.begin() as session:
        [registration] = session.query(Registration).all()
        plan = regs.save_plan(session, registration.id, goal="三个月内到岗",
                              responsible="李老师", now=NOW)
        regs.add_step(session, plan, due_on=date(2026, 12, 1), action="联系用人单位",
                      responsible="王老师")
        for user in ("a11y-r1", "a11y-r2"):
            session.add(EventSignup(event_id=event_id, user_id=user, created_at=NOW))
        session.add(EmployerSignup(event_id=event_id, user_id="a11y-firm", company="津门超市",
                                   credit_code="91120105MA05L8XX1X", contact="王经理",
                                   phone="13900001111", positions="收银员 2 名", created_at=NOW))
        session.flush()
        first = session.query(EventSignup).order_by(EventSignup.id).first()
        mark(session, event_id, f"R{first.id}", attended=True, now=NOW, by="boss")
    [handoff] = rows(chat, Handoff)
    [slot] = rows(chat, Slot)
    service_id = rows(chat, Service)[0].id
    return {"event": event_id, "registration": registration.id, "handoff": handoff.id,
            "slot": slot.id, "service": service_id}


def pages(ids: dict[str, int]) -> list[str]:
    """Every page of the console (GET), as an admin sees them."""
    return ["/admin/", "/admin/handoffs/", f"/admin/handoffs/{ids['handoff']}",
            "/admin/registrations/", f"/admin/registrations/{ids['registration']}",
            "/admin/bookings/", "/admin/bookings/services/new",
            f"/admin/bookings/services/{ids['service']}", f"/admin/bookings/slots/{ids['slot']}",
            "/admin/events/", "/admin/events/new", f"/admin/events/{ids['event']}",
            f"/admin/events/{ids['event']}/signups", "/admin/knowledge/",
            "/admin/knowledge/new", "/admin/exports/", "/admin/users", "/admin/audit",
            "/admin/no-such-page"]


def problems_on(page: Any, axe: str, where: str, tab: bool = True) -> list[str]:
    """axe's violations and our own checks' findings on the page now shown."""
    page.add_script_tag(content=axe)
    result = page.evaluate("rules => axe.run(document, {runOnly: {type: 'tag', values: rules},"
                           " resultTypes: ['violations']})", RULES)
    found = [f"{where}: {v['id']} ({v['impact']}): {v['help']} at "
             + "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
             for v in result["violations"]]
    assert len(result["passes"]) > 10, f"{where}: axe did not run its rules"
    own = page.evaluate(OWN_CHECKS)
    if own["h1"] != 1:
        found.append(f"{where}: {own['h1']} h1 headings")
    if own["main"] != 1:
        found.append(f"{where}: {own['main']} main landmarks")
    if own["lang"] != "zh-CN":
        found.append(f"{where}: lang={own['lang']!r}")
    if own["duplicates"]:
        found.append(f"{where}: duplicate ids {own['duplicates']}")
    return found + (unreachable_by_tab(page, where) if tab else [])


def unreachable_by_tab(page: Any, where: str) -> list[str]:
    """Press Tab from the top until every visible interactive element has had the focus."""
    count = page.evaluate(FOCUSABLE)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); "
                  "window.scrollTo(0, 0); }")
    reached: set[str] = set()
    for _ in range(count * 8 + 10):  # a date or time field takes a Tab per part
        page.keyboard.press("Tab")
        index = page.evaluate("() => document.activeElement && "
                              "document.activeElement.getAttribute('data-tab-index')")
        if index is not None:
            reached.add(index)
        if len(reached) == count:
            return []
    missing = sorted(set(map(str, range(count))) - reached, key=int)
    names = page.evaluate("ids => ids.map(i => document.querySelector("
                          "`[data-tab-index=\"${i}\"]`).outerHTML.slice(0, 80))", missing[:3])
    return [f"{where}: {len(missing)} of {count} interactive elements not reached by Tab: "
            f"{names}"]


def test_every_console_page_passes_axe_and_our_checks(live: Any, browser: Any,  # noqa: F811
                                                       axe_source: str) -> None:
    chat = live
    ids = data_on_every_page(chat)
    page = browser.new_page()
    page.goto(chat.base + "/admin/login")
    found = problems_on(page, axe_source, "/admin/login")
    page.get_by_label("用户名").fill("boss")
    page.get_by_label("密码").fill(PASSWORDS["boss"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/admin/")
    for path in pages(ids):
        page.goto(chat.base + path)
        found += problems_on(page, axe_source, path)
    # pages with errors shown next to fields
    page.goto(chat.base + "/admin/events/new")
    page.get_by_label("活动名称").fill("河北区残疾人专场招聘会")
    page.get_by_role("button", name="保存活动").click()
    assert "请填写开始时间" in page.inner_text("main") or "请填写日期和时间" in \
        page.inner_text("main")
    found += problems_on(page, axe_source, "/admin/events/new (with errors)")
    shoot(page, "a11y-form-with-error")
    page.goto(chat.base + "/admin/registrations/?since=2026-13-01")
    found += problems_on(page, axe_source, "/admin/registrations/?since=bad")
    assert not found, "\n".join(found)

    page.goto(chat.base + "/admin/")
    shoot(page, "a11y-dashboard")
    # the checks can fail: a field without a label, grey on white, an id twice, a wide box
    page.evaluate("""() => { const m = document.querySelector('main');
      m.insertAdjacentHTML('beforeend', '<input id="no-label"><p id="no-label" '
        + 'style="color:#aaa;background:#fff">浅灰色的字</p><div style="width:900px">宽</div>'); }""")
    seen = "\n".join(problems_on(page, axe_source, "planted"))
    assert "label" in seen and "color-contrast" in seen and "duplicate ids" in seen, seen
    page.set_viewport_size(PHONE)
    assert page.evaluate(OWN_CHECKS)["overflow"] > 0
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(chat.base + f"/admin/events/{ids['event']}/signups")
    assert "已到场" in page.inner_text("main")
    shoot(page, "a11y-event-attendance")

    page.set_viewport_size(PHONE)
    wide = []
    for path in ["/admin/events/new", *pages(ids)]:
        page.goto(chat.base + path)
        overflow = page.evaluate(OWN_CHECKS)["overflow"]
        if overflow > 0:
            wide.append(f"{path}: {overflow} px wider than the phone")
        wide += problems_on(page, axe_source, f"{path} (phone)", tab=False)
    page.goto(chat.base + "/admin/")
    shoot(page, "a11y-dashboard-phone")
    page.goto(chat.base + f"/admin/events/{ids['event']}/signups")
    shoot(page, "a11y-event-attendance-phone")
    assert not wide, "\n".join(wide)
