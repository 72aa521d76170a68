"""What one `message/send` of an event notice carries: plain text, or a button card.

With `[events] cards = true`, notices of new and changed events go as a `template_card` of type
`button_interaction` (WeCom client 3.1.6 or later): the card's title is the notice's first line
and its text the rest, so it reads exactly as the text notice does, reply words included
("回复“报名 12”", "回复“退订”"), and two buttons whose keys come back as a
`template_card_event`: `evt:signup:<event id>` (the same sign-up as "报名 12") and
`evt:notinterested:<event id>` (a polite acknowledgement, nothing recorded). Cancellations and
reminders stay text: there is nothing to sign up to. wechatpy 1.8.18 has no card helper, so
the message is the JSON dict message/send documents.

message/send, template_card: https://developer.work.weixin.qq.com/document/path/90236
"""

from __future__ import annotations

from typing import Any

CARD_KINDS = ("published", "changed")  # notices that invite a sign-up
SIGN_UP, NOT_INTERESTED = "signup", "notinterested"


def notice_message(text: str, *, cards: bool, kind: str, event_id: int, task_id: str,
                   duplicate_check_seconds: int) -> dict[str, Any]:
    """The message/send body (without touser and agentid) for one batch of a notice."""
    common = {"enable_duplicate_check": 1, "duplicate_check_interval": duplicate_check_seconds}
    if not cards or kind not in CARD_KINDS:
        return {"msgtype": "text", "text": {"content": text}, **common}
    return {"msgtype": "template_card", "template_card": card(text, event_id, task_id), **common}


def card(text: str, event_id: int, task_id: str) -> dict[str, Any]:
    """A button_interaction card: the notice's first line as title, the rest as its text."""
    title, _, body = text.partition("\n")
    return {"card_type": "button_interaction",
            "main_title": {"title": title},
            "sub_title_text": body,
            "task_id": task_id,
            "button_list": [
                {"text": "报名", "style": 1, "key": f"evt:{SIGN_UP}:{event_id}"},
                {"text": "不感兴趣", "style": 2, "key": f"evt:{NOT_INTERESTED}:{event_id}"}]}


def card_text(template_card: dict[str, Any]) -> str:
    """The text a card shows, title first: for a notice card, the notice's text itself."""
    title = str((template_card.get("main_title") or {}).get("title") or "")
    return "\n".join(part for part in (title, str(template_card.get("sub_title_text") or ""))
                     if part)
