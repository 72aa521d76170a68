"""The console in a real browser (Debian's chromium driven by Playwright): a person logs in,
changes a registration to 已就业 and sees the dashboard count it, answers a handoff, teaches
the bot a question, downloads an export and the yearly report; adds a slot and finds a chat
booking on its roster, publishes an event and sees the notice reach the simulator, and marks
the resident who signed up in the chat as come.
Screenshots of every page go to $BOT_SCREENSHOTS (a temporary folder otherwise)."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from docx import Document
from openpyxl import load_workbook
from werkzeug.serving import make_server

from db.catalogue import seed_services
from db.models import Event, EventSignup, Handoff
from tests.console import PASSWORDS, add_accounts, entries_copy
from tests.dialog import another_app, register, rows, run, say
from tests.event_helpers import add_subscribers

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 2026-11-20 10:00 in Shanghai
NEW_QUESTION = "区残联的无障碍电梯坏了找谁修"


@pytest.fixture
def browser() -> Iterator[Any]:
    """Chromium (Debian's package) through Playwright, with a fresh profile."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("the browser tests need Debian's chromium: run "
                    "'apt-get install -y chromium fonts-noto-cjk' (make test does it)")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="console-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=ARGS, accept_downloads=True,
            locale="zh-CN", viewport={"width": 1100, "height": 900})
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def live(database: str, simulator: Any, knowledge_base: Any, tmp_path: Path) -> Iterator[Any]:
    """The bot (demo mode: the cookie needs no https) served on a free local port."""
    folder = entries_copy(tmp_path)
    with another_app(database, simulator, knowledge_base, clock=lambda: NOW,
                     bot={"demo": True}, console={"knowledge_dir": str(folder)}) as chat:
        server = make_server("127.0.0.1", 0, chat.app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        chat.base = f"http://127.0.0.1:{server.port}"
        try:
            yield chat
        finally:
            server.shutdown()


def shoot(page: Any, name: str) -> None:
    """A full-page screenshot, for people to look at."""
    folder = Path(os.environ.get("BOT_SCREENSHOTS") or tempfile.gettempdir()) / "console"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_a_day_at_the_console(live: Any, browser: Any) -> None:
    chat = live
    add_accounts(chat.services)
    register(chat, "grad", name="欧阳明远")
    say(chat, "waiting", "人工")
    say(chat, "curious", NEW_QUESTION)
    chat.api_messages("waiting")
    page = browser.new_page()

    page.goto(chat.base + "/admin/")
    assert "/admin/login" in page.url
    shoot(page, "01-login")
    page.get_by_label("用户名").fill("boss")
    page.get_by_label("密码").fill(PASSWORDS["boss"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/admin/")
    shoot(page, "02-dashboard-before")

    page.get_by_role("link", name="就业登记").click()
    shoot(page, "03-registrations")
    page.get_by_role("row").nth(1).get_by_role("link").click()
    page.get_by_label("新状态").select_option("已就业")
    page.get_by_label("生效日期").fill("2026-11-18")
    page.get_by_label("备注").fill("在社区超市做收银，签了一年合同。")
    page.get_by_role("button", name="保存状态").click()
    assert "状态已改为“已就业”" in page.inner_text("main")
    page.get_by_label("就业目标").fill("三个月内到岗，岗位适合轮椅出入。")
    page.get_by_label("总负责人").fill("望海楼街 李老师")
    page.get_by_role("button", name="保存计划").click()
    page.get_by_label("计划日期").fill("2026-12-01")
    page.get_by_label("步骤内容").fill("联系用人单位进行岗位适配")
    page.get_by_label("责任人").fill("区残联 王老师")
    page.get_by_role("button", name="添加步骤").click()
    assert "联系用人单位进行岗位适配" in page.inner_text("main")
    shoot(page, "04-registration")

    page.get_by_role("link", name="首页").click()
    main = page.inner_text("main")
    assert "1 / 822 人" in main and "2026年\t1" in main
    shoot(page, "05-dashboard-after")

    page.get_by_role("link", name="转人工").click()
    shoot(page, "06-handoffs")
    [handoff] = rows(chat, Handoff, user_id="waiting")
    page.get_by_role("link", name=f"#{handoff.id} 查看并回复").click()
    page.get_by_label("回复内容（将通过企业微信发给对方）").fill("您好，我是区残联的工作人员，下午给您回电话。")
    page.get_by_role("button", name="发送回复").click()
    assert "回复已发送" in page.inner_text("main")
    shoot(page, "07-handoff")
    assert chat.api_messages("waiting")[0].startswith("您好，我是区残联的工作人员")

    page.get_by_role("link", name="知识库").click()
    shoot(page, "08-knowledge")
    group = page.get_by_role("region", name=f"“{NEW_QUESTION}”，被问了 1 次")
    group.get_by_label("加入到哪一条").select_option("contact-websites")
    group.get_by_role("button", name="加入问法").click()
    assert "机器人已开始使用" in page.inner_text("main")
    assert "天津市残联" in say(chat, "curious-too", NEW_QUESTION)

    page.get_by_role("link", name="导出与报告").click()
    shoot(page, "09-exports")
    with page.expect_download() as excel:
        page.get_by_role("button", name="下载就业登记 Excel（.xlsx）").click()
    assert excel.value.suggested_filename == "registrations.xlsx"
    sheet = load_workbook(io.BytesIO(Path(excel.value.path()).read_bytes())).active
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert table[0][:3] == ["登记编号", "登记人", "姓名"] and table[1][2] == "欧阳明远"
    assert table[1][-2:] == ["已就业", "2026-11-18"]
    page.get_by_label("年份").fill("2026")
    with page.expect_download() as word:
        page.get_by_role("button", name="生成年度报告（Word）").click()
    assert word.value.suggested_filename == "report-2026.docx"
    report = Document(io.BytesIO(Path(word.value.path()).read_bytes()))
    figures = {row.cells[0].text: row.cells[1].text for row in report.tables[0].rows}
    assert figures["本年度新增残疾人就业（人）"] == "1"
    assert figures["累计新增残疾人就业 / 目标（人）"] == "1 / 822"
    assert figures["其中已回复（次）"] == "1"

    page.get_by_role("link", name="账号与审计").click()
    shoot(page, "10-users")
    page.get_by_role("link", name="查看审计日志（谁在何时查看或导出了个人信息）").click()
    assert "导出登记（Excel）" in page.inner_text("main")
    shoot(page, "11-audit")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.get_by_role("link", name="首页").click()
    shoot(page, "12-dashboard-phone")
    page.get_by_role("button", name="退出登录").click()
    assert "/admin/login" in page.url


def test_slots_and_events_in_the_browser(live: Any, browser: Any) -> None:
    chat = live
    add_accounts(chat.services)
    with chat.services.sessions.begin() as session:
        seed_services(session, now=NOW)
    add_subscribers(chat.services, "招聘会", ["br-subscriber"])
    page = browser.new_page()
    page.goto(chat.base + "/admin/login")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(PASSWORDS["clerk"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/admin/")

    page.get_by_role("link", name="服务与预约").click()
    page.get_by_label("服务", exact=True).select_option(label="职业能力评估")
    page.get_by_label("开始时间（第一次）").fill("2026-11-24T09:00")
    page.get_by_label("名额（人）").fill("4")
    page.get_by_label("地点", exact=True).fill("河北区残联服务大厅（一楼，无台阶）")
    page.get_by_role("button", name="添加时段").click()
    assert "已添加 1 个时段" in page.inner_text("main")
    shoot(page, "13-bookings")
    done = run(chat, "br-booker", ["我想约个职业能力评估", "1", "1 4", "需要低一点的桌子"])
    assert "预约成功" in done[-1][0]
    page.get_by_role("link", name="服务与预约").click()
    page.get_by_role("link", name="11-24 09:00").click()
    roster = page.inner_text("main")
    assert "手语翻译、需要低一点的桌子" in roster and "（未登记）" in roster
    page.get_by_role("button", name="已到场").click()
    assert "已标记为已到场" in page.inner_text("main")
    shoot(page, "14-roster")
    page.get_by_role("link", name="返回服务与预约").click()
    page.get_by_role("link", name="添加一项服务").click()
    shoot(page, "15-service-new")

    page.get_by_role("link", name="活动与通知").click()
    page.get_by_role("link", name="新建活动").click()
    page.get_by_label("活动名称").fill("河北区残疾人专场招聘会")
    page.get_by_label("开始时间", exact=True).fill("2026-12-04T09:00")
    page.get_by_label("结束时间（可不填）").fill("2026-12-04T12:00")
    page.get_by_label("地点（没有线上链接时必填）").fill("河北区残联一楼大厅")
    page.get_by_label("无障碍条件（坡道、电梯、手语翻译等）").fill("有坡道和电梯，提供手语翻译")
    page.get_by_label("用人单位可以报名参加招聘（只限招聘会）").check()
    page.get_by_role("button", name="保存活动").click()
    assert "活动已保存为草稿" in page.inner_text("main")
    shoot(page, "16-event-draft")
    page.get_by_label("紧急：发布通知在夜间免打扰时段也发送").check()
    page.get_by_role("button", name="发布并通知订阅的人").click()
    assert "通知已排队发给 1 位订阅的人" in page.inner_text("main")
    [notice] = chat.api_messages("br-subscriber")
    assert notice.startswith("【活动通知】") and "河北区残疾人专场招聘会" in notice
    shoot(page, "17-event-published")
    [event] = rows(chat, Event)
    say(chat, "br-subscriber", f"报名 {event.id}")  # a job fair asks: resident or employer?
    assert say(chat, "br-subscriber", "1").startswith("报名成功")
    page.get_by_role("link", name="查看报名的居民和用人单位").click()
    [signup] = rows(chat, EventSignup)
    page.get_by_role("button", name=f"R{signup.id} 已到场").click()
    assert f"报名 R{signup.id}（居民）已标记为已到场" in page.inner_text("main")
    assert rows(chat, EventSignup)[0].attended is True
    shoot(page, "18-signups")
    page.get_by_role("link", name="活动与通知").click()
    shoot(page, "19-events")
    page.get_by_role("link", name="首页").click()
    assert "将要举办的活动" in page.inner_text("main")
    shoot(page, "20-dashboard-cards")
    page.get_by_role("link", name="导出与报告").click()
    with page.expect_download() as bookings:
        page.get_by_role("button", name="下载服务预约 Excel（.xlsx）").click()
    assert bookings.value.suggested_filename == "bookings.xlsx"
    sheet = load_workbook(io.BytesIO(Path(bookings.value.path()).read_bytes())).active
    assert [c.value for c in sheet[2]][6:8] == ["手语翻译、需要低一点的桌子", "已到场"]
