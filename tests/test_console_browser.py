"""The console in a real browser (Debian's chromium driven by Playwright): a person logs in,
changes a registration to 已就业 and sees the dashboard count it, answers a handoff, teaches
the bot a question, downloads an export and the yearly report. Screenshots of every page go
to $BOT_SCREENSHOTS (a temporary folder otherwise)."""

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

from db.models import Handoff
from tests.console import PASSWORDS, add_accounts, entries_copy
from tests.dialog import another_app, register, rows, say

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
        page.get_by_role("button", name="下载 Excel（.xlsx）").click()
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
