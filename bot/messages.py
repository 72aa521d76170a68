"""The two values the pipeline passes along: `Incoming` (what WeCom sent) and `Reply`.

Receiving messages: https://developer.work.weixin.qq.com/document/path/90239
Events: https://developer.work.weixin.qq.com/document/path/90240
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from wechatpy.enterprise import parse_message
from wechatpy.messages import UnknownMessage

class MalformedMessage(Exception):
    """The decrypted callback is not a message we can read."""


@dataclass(frozen=True)
class Incoming:
    """One inbound message or event, whatever its type: all a handler sees."""

    user_id: str
    to_user: str
    agent_id: int | None
    kind: str  # text, image, voice, video, location, link, event
    create_time: int
    msg_id: str = ""
    text: str = ""
    event: str = ""  # subscribe, unsubscribe, enter_agent, click, view, template_card_event, ...
    event_key: str = ""
    task_id: str = ""

    @property
    def delivery_key(self) -> str:
        """Unique per delivery: MsgId, or sender + CreateTime + Event + EventKey + TaskId."""
        if self.kind != "event" and self.msg_id:
            key = f"msg:{self.msg_id}"
        else:
            key = (f"evt:{self.user_id}|{self.create_time}|{self.event}|{self.event_key}"
                   f"|{self.task_id}")
        if len(key) > 200:  # EventKey (up to 1024 bytes) or MsgId: keep the key short and unique
            key = key[:4] + hashlib.sha256(key.encode()).hexdigest()
        return key

    @property
    def label(self) -> str:
        """The type for logs: `text`, `event:subscribe`, ..."""
        return f"event:{self.event}" if self.kind == "event" else self.kind

    @classmethod
    def from_xml(cls, xml: str) -> Incoming:
        """Parse decrypted callback XML (wechatpy for the types it knows, the raw fields else)."""
        try:
            message = parse_message(xml)
        except Exception as exc:  # wechatpy raises whatever xmltodict raises
            raise MalformedMessage(str(exc)) from None
        data: dict[str, Any] = getattr(message, "_data", {}) or {}
        kind = str(data.get("MsgType") or getattr(message, "type", "") or "")
        user_id = str(data.get("FromUserName") or "")
        if not kind or not user_id or len(user_id) > 64:
            raise MalformedMessage("MsgType or FromUserName missing")
        try:
            create_time = int(data.get("CreateTime") or 0)
            agent = data.get("AgentID")
            agent_id = int(agent) if agent not in (None, "") else None
        except (TypeError, ValueError):
            raise MalformedMessage("CreateTime or AgentID not a number") from None
        return cls(
            user_id=user_id,
            to_user=str(data.get("ToUserName") or ""),
            agent_id=agent_id,
            kind=kind if kind in KINDS else "unknown",
            create_time=create_time,
            msg_id=str(data.get("MsgId") or "") if kind != "event" else "",
            text=_text_of(message, data),
            event=str(data.get("Event") or "").lower() if kind == "event" else "",
            event_key=str(data.get("EventKey") or "") if kind == "event" else "",
            task_id=str(data.get("TaskId") or "") if kind == "event" else "",
        )


KINDS = {"text", "image", "voice", "video", "shortvideo", "location", "link", "event", "file"}


def _text_of(message: Any, data: dict[str, Any]) -> str:
    if isinstance(message, UnknownMessage) or data.get("MsgType") != "text":
        return ""
    return str(data.get("Content") or "")


@dataclass(frozen=True)
class Reply:
    """What the bot says back: one or more short plain-text messages, and a numbered list.

    `options` are the actions that "1", "2", ... choose next time (kept in the conversation).
    `urgent` marks a reply to a person in distress (logged, and staff are told at once).
    """

    texts: tuple[str, ...]
    options: tuple[str, ...] | None = None
    handler: str = ""
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def text(cls, *texts: str, options: tuple[str, ...] | None = None, handler: str = "") -> Reply:
        """A reply of one or more messages."""
        return cls(tuple(t for t in texts if t), options=options, handler=handler)

    def __add__(self, other: Reply) -> Reply:
        return Reply(self.texts + other.texts,
                     options=other.options if other.options is not None else self.options,
                     handler=self.handler or other.handler, meta={**self.meta, **other.meta})

    def with_handler(self, name: str) -> Reply:
        """The same reply, tagged with the handler that made it (for the logs)."""
        return Reply(self.texts, self.options, self.handler or name, self.meta)
