"""Talk to the bot as a WeChat customer of a 微信客服 account, through the real webhook.

The simulator queues what the customer writes, then WeCom's kf_msg_or_event callback is
posted, encrypted, to /wecom/callback; the bot pulls with kf/sync_msg and answers with
kf/send_msg, which the simulator records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.simulator_kf import KfSimulator, kf_callback
from db.kf import customer_id

OPEN_KFID = "wkTESTkf000000000000000000000001"


@dataclass
class KfChat:
    """A 微信客服 stand-in; `send(user_id, text)` fits the helpers of tests/dialog.py."""

    chat: Any  # tests.conftest.Chat: app, services, simulator state, peer
    open_kfid: str = OPEN_KFID
    seen: dict[str, int] = field(default_factory=dict)
    externals: dict[str, str] = field(default_factory=dict)  # bot user id → external_userid

    @property
    def services(self) -> Any:
        return self.chat.services

    @property
    def kf(self) -> KfSimulator:
        return self.chat.state.kf

    def user(self, external_userid: str) -> str:
        """The bot's user id for this WeChat customer."""
        user_id = customer_id(self.services.cipher.keyed_hash, self.open_kfid, external_userid)
        self.externals[user_id] = external_userid
        return user_id

    def notify(self) -> Any:
        """Post a kf_msg_or_event callback; wait until the pull and its sends are done."""
        w = self.services.settings.wecom
        query, body = kf_callback(self.chat.peer, w.corp_id, self.open_kfid, self.kf.new_token())
        response = self.chat.post(query, body)
        assert response.status_code == 200 and response.get_data() == b""
        return response

    def send(self, user_id: str, text: str, send_time: float | None = None) -> list[str]:
        """The customer writes `text`; return what the bot sent them."""
        self.kf.customer_says(self.open_kfid, self.externals[user_id], text, send_time)
        self.notify()
        return self.received(user_id)

    def enter(self, user_id: str, **fields: Any) -> list[str]:
        """The customer opens the chat (enter_session); return what they received."""
        self.kf.event(self.open_kfid, self.externals[user_id], "enter_session", **fields)
        self.notify()
        return self.received(user_id)

    def received(self, user_id: str) -> list[str]:
        """Messages the bot sent this customer since the last look."""
        found = self.kf.sent_to(self.externals[user_id], self.seen.get(user_id, 0))
        if found:
            self.seen[user_id] = found[-1]["id"]
        return [m["content"] for m in found]

    def sent(self, user_id: str) -> list[dict[str, Any]]:
        """Everything the simulator accepted for this customer (with msgid and API)."""
        return self.kf.sent_to(self.externals[user_id])
