"""The custom menu: `menu create` pushes it to WeCom; each button's click, and each numbered
item of the text menu, leads where it says."""

from __future__ import annotations

from typing import Any

import pytest

from bot.__main__ import main
from db.models import Handoff
from handlers.greeting import MENU_ACTIONS
from handlers.texts import text
from tests.booking_kit import catalogue, clock  # noqa: F401 (fixtures)
from tests.dialog import assert_reply_rules, rows, say, state_of

BUTTONS = {"menu:policy": "政策咨询", "menu:register": "就业登记", "menu:booking": "服务预约",
           "menu:subscribe": "活动订阅", "menu:handoff": "人工服务"}


def clicks(menu: dict[str, Any]) -> dict[str, str]:
    """Every click button of a menu body, key to name (sub-menus included)."""
    found = {}
    for button in menu["button"]:
        for leaf in button.get("sub_button") or [button]:
            assert leaf["type"] == "click", leaf
            found[leaf["key"]] = leaf["name"]
    return found


def check_action(chat: Any, user: str, action: str, replies: list[str]) -> None:
    """What choosing `action` must do, however the person chose it."""
    assert_reply_rules(replies)
    joined = "\n".join(replies)
    assert text("menu") not in joined, "an unknown action falls back to the menu"
    if action == "menu:policy":
        assert replies == [text("ask_policy")]
    elif action == "menu:register":
        assert state_of(chat, user) == "register:role"
    elif action == "menu:booking":  # the seeded catalogue's list of services
        assert (state_of(chat, user) or "").startswith("booking:"), joined
    elif action == "menu:handoff":
        assert [h.reason for h in rows(chat, Handoff, user_id=user)] == ["request"]
    else:  # subscriptions: a person or the menu is offered
        assert "人工" in joined or "菜单" in joined


def test_menu_create_pushes_every_button_to_wecom(staff_cli: Any,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["menu", "create"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "custom menu created"
    [pushed] = staff_cli.state.menus
    assert clicks(pushed) == BUTTONS
    assert len(pushed["button"]) <= 3  # WeCom allows three top-level buttons


@pytest.mark.parametrize("action", sorted(BUTTONS))
def test_each_menu_button_click_leads_where_it_says(chat: Any, catalogue: Any,
                                                    action: str) -> None:
    user = f"click-{action.partition(':')[2]}"
    check_action(chat, user, action, chat.event(user, "click", action))


@pytest.mark.parametrize("number", range(1, len(MENU_ACTIONS) + 1))
def test_each_numbered_menu_item_leads_where_it_says(chat: Any, catalogue: Any,
                                                    number: int) -> None:
    user = f"menu-item-{number}"
    menu = say(chat, user, "菜单")
    action = MENU_ACTIONS[number - 1]
    assert f"{number}. {BUTTONS[action]}" in menu  # the number the person reads is this item
    check_action(chat, user, action, chat.send(user, str(number)))
