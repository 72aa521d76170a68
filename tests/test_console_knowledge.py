"""Knowledge curation: a change checked by `kb check` first, then used by every worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from db.models import UnansweredQuestion
from tests.console import add_accounts, entries_copy, https_client, login, token
from tests.dialog import another_app, rows, say

QUESTION = "区残联的无障碍电梯坏了找谁修"


def test_a_variant_added_in_one_worker_is_answered_by_another(
        database: str, simulator: Any, knowledge_base: Any, tmp_path: Path) -> None:
    folder = str(entries_copy(tmp_path))
    with another_app(database, simulator, knowledge_base,
                     console={"knowledge_dir": folder}) as worker_a, \
            another_app(database, simulator, knowledge_base, seen={},
                        console={"knowledge_dir": folder}) as worker_b:
        worker_b.services.kb.interval = 0  # check the version at every message
        assert "天津市残联" not in say(worker_b, "rider", QUESTION)
        add_accounts(worker_a.services)
        client = https_client(worker_a.app)
        login(client, "clerk")
        page = client.get("/admin/knowledge/").get_data(as_text=True)
        assert f"“{QUESTION}”，被问了 1 次" in page
        [asked] = rows(worker_a, UnansweredQuestion)
        added = client.post("/admin/knowledge/variant", data={
            "question": QUESTION, "entry": "contact-websites", "ids": str(asked.id),
            "csrf_token": token(client, "/admin/knowledge/")})
        assert added.status_code == 302
        assert QUESTION in (Path(folder) / "contact-websites.toml").read_text("utf-8")
        assert [q.status for q in rows(worker_a, UnansweredQuestion)] == ["answered"]
        assert "天津市残联" in say(worker_b, "rider-2", QUESTION)  # no restart


def test_a_draft_that_fails_kb_check_is_not_written(
        database: str, simulator: Any, knowledge_base: Any, tmp_path: Path) -> None:
    folder = entries_copy(tmp_path)
    with another_app(database, simulator, knowledge_base,
                     console={"knowledge_dir": str(folder)}) as chat:
        add_accounts(chat.services)
        client = https_client(chat.app)
        login(client, "clerk")
        draft = {"entry_id": "bus-fares", "title": "公交乘车", "audience": "jobseeker,family",
                 "questions": "坐公交要钱吗\n公交免费吗", "answer": "请拨打12345678查询。",
                 "source": "某文件", "section": "一", "period": "2026年",
                 "csrf_token": token(client, "/admin/knowledge/new")}
        page = client.post("/admin/knowledge/new", data=draft).get_data(as_text=True)
        assert "问法少于 5 个" in page and "连续 7 位以上的数字" in page
        assert not (folder / "bus-fares.toml").exists()
