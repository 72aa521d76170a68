"""The 微信客服 API calls, as JSON through the WeCom client (wechatpy 1.8.18 has no kf module).

Receive (sync_msg): https://developer.work.weixin.qq.com/document/path/94670
Send (send_msg): https://developer.work.weixin.qq.com/document/path/94677
Event replies (send_msg_on_event): https://developer.work.weixin.qq.com/document/path/95122
Session states (service_state/get|trans): https://developer.work.weixin.qq.com/document/path/94669

Each function returns WeCom's JSON; an errcode other than 0 raises WeChatClientException.
"""

from __future__ import annotations

from typing import Any

SYNC_LIMIT = 1000
SESSION_INVALID = 95018  # "send msg session status invalid": state, or the 48 h window
COUNT_LIMIT = 95001  # more than 5 messages after one customer message


def sync_msg(client: Any, open_kfid: str, cursor: str | None, token: str,
             limit: int = SYNC_LIMIT) -> dict[str, Any]:
    """One page of messages after `cursor` (None: from the start of the last 3 days)."""
    data: dict[str, Any] = {"open_kfid": open_kfid, "limit": limit, "voice_format": 0}
    if cursor:
        data["cursor"] = cursor
    if token:
        data["token"] = token
    return client.post("kf/sync_msg", data=data)


def send_text(client: Any, open_kfid: str, external_userid: str, text: str,
              msgid: str) -> dict[str, Any]:
    """kf/send_msg with our own msgid: WeCom takes a msgid once, so a retry cannot double."""
    return client.post("kf/send_msg", data={"touser": external_userid, "open_kfid": open_kfid,
                                            "msgid": msgid, "msgtype": "text",
                                            "text": {"content": text}})


def send_on_event(client: Any, code: str, text: str, msgid: str) -> dict[str, Any]:
    """kf/send_msg_on_event: the one welcome message allowed by an enter_session's code."""
    return client.post("kf/send_msg_on_event", data={"code": code, "msgid": msgid,
                                                     "msgtype": "text",
                                                     "text": {"content": text}})


def get_state(client: Any, open_kfid: str, external_userid: str) -> tuple[int, str]:
    """The session's state (0..4) and its servicer, if any."""
    result = client.post("kf/service_state/get", data={"open_kfid": open_kfid,
                                                       "external_userid": external_userid})
    return int(result.get("service_state", 0)), str(result.get("servicer_userid") or "")


def trans(client: Any, open_kfid: str, external_userid: str, state: int,
          servicer: str = "") -> dict[str, Any]:
    """Change the session's state: 2 to the pool, 3 to the named servicer, 1 the assistant."""
    data: dict[str, Any] = {"open_kfid": open_kfid, "external_userid": external_userid,
                            "service_state": state}
    if servicer:
        data["servicer_userid"] = servicer
    return client.post("kf/service_state/trans", data=data)
