"""`menu create`: push the app's custom menu to WeCom, or say in one line why it could not.

menu/create: https://developer.work.weixin.qq.com/document/path/90231
"""

from __future__ import annotations

from typing import Any

import requests
from wechatpy.exceptions import WeChatClientException

from bot.logs import describe
from bot.settings import CommandError

MENU = {"button": [
    {"type": "click", "name": "政策咨询", "key": "menu:policy"},
    {"name": "办事", "sub_button": [
        {"type": "click", "name": "就业登记", "key": "menu:register"},
        {"type": "click", "name": "服务预约", "key": "menu:booking"},
        {"type": "click", "name": "活动订阅", "key": "menu:subscribe"}]},
    {"type": "click", "name": "人工服务", "key": "menu:handoff"}]}

# What an operator does about WeCom's common answers (全局错误码).
HINTS = {
    60020: "add this server's outbound IP to 企业可信IP (应用管理 → the app → 企业可信IP; "
           "save the callback URL first)",
    40001: "check [wecom] secret: it must be this app's Secret",
    40013: "check [wecom] corp_id",
    40014: "the access token was refused twice: check [wecom] corp_id and secret",
    48002: "the app may not call this API: check its permissions in 应用管理",
}


def create_menu(services: Any) -> None:
    """menu/create for the configured agent; CommandError (one line) when WeCom says no."""
    w = services.settings.wecom
    try:
        services.client.menu.create(w.agent_id, MENU)
    except WeChatClientException as exc:
        hint = HINTS.get(exc.errcode, "see WeCom's error code list (全局错误码)")
        raise CommandError(f"WeCom answered errcode {exc.errcode} ({exc.errmsg}): "
                           f"{hint}") from None
    except requests.RequestException as exc:
        raise CommandError(f"cannot reach WeCom at {w.api_base} ({describe(exc)}): check the "
                           "network, any proxy, and [wecom] api_base") from None
