"""The two values the pipeline passes along: `Incoming` (what WeCom sent) and `Reply`.

Receiving messages: https://developer.work.weixin.qq.com/document/path/90239
Events: https://developer.work.weixin.qq.com/document/path/90240
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any


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
    def from_element(cls, root: ET.Element) -> Incoming:
        """Read a decrypted callback, parsed and checked by the webhook: its top-level fields,
        stripped as wechatpy's parser strips them (a repeated field: the first counts)."""
        data = {child.tag: (child.text or "").strip() for child in reversed(root)}
        kind, user_id = data.get("MsgType", ""), data.get("FromUserName", "")
        if not kind or not user_id or len(user_id) > 64:
            raise MalformedMessage("MsgType or FromUserName missing")
        try:
            create_time = int(data.get("CreateTime") or 0)
            agent = data.get("AgentID")
            agent_id = int(agent) if agent else None
        except (TypeError, ValueError):
            raise MalformedMessage("CreateTime or AgentID not a number") from None
        event = kind == "event"
        return cls(
            user_id=user_id,
            to_user=data.get("ToUserName", ""),
            agent_id=agent_id,
            kind=kind if kind in KINDS else "unknown",
            create_time=create_time,
            msg_id="" if event else data.get("MsgId", ""),
            text=data.get("Content", "") if kind == "text" else "",
            event=data.get("Event", "").lower() if event else "",
            event_key=data.get("EventKey", "") if event else "",
            task_id=data.get("TaskId", "") if event else "",
        )


KINDS = {"text", "image", "voice", "video", "shortvideo", "location", "link", "event", "file"}


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
