"""The 微信客服 channel: residents on plain WeChat talk to the same bot.

A `kf_msg_or_event` callback (same URL, signature and decryption as the app's) carries only a
token and the account (OpenKfId). The webhook records it and answers at once; a worker then
pulls the messages with kf/sync_msg, page by page while `has_more`, holding the account's
cursor lease (db/kf.py), and moves the cursor only after the page's messages are recorded.
Each customer message becomes an `Incoming` for the ordinary pipeline (user "kf:<hash>",
de-duplicated by its msgid), so handlers, forms and records do not know the channel; the
sender sends a kf user's replies through kf/send_msg (bot/kf_send.py).

Receive: https://developer.work.weixin.qq.com/document/path/94670
Session states: https://developer.work.weixin.qq.com/document/path/94669
"""

from __future__ import annotations

import logging
import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot import kf_api, kf_events
from bot.masking import mask_user, scrub
from bot.messages import KINDS, Incoming
from db import kf, state
from db.models import Handoff, InboundMessage
from db.session import read_connection

log = logging.getLogger(__name__)

CUSTOMER = 3  # origin of a message the customer wrote (4: system event, 5: servicer)
HUMAN_STATES = (2, 3)  # waiting in the pool, served by a person: the bot stays quiet


@dataclass(frozen=True)
class KfNotice:
    """A kf_msg_or_event callback: an account has new messages to pull with this token."""

    open_kfid: str
    token: str


def parse_notice(root: ET.Element) -> KfNotice | None:
    """The notice if this decrypted callback (its parsed document) is a kf_msg_or_event."""
    if (root.findtext("MsgType") or "").strip() != "event" or \
            (root.findtext("Event") or "").strip() != "kf_msg_or_event":
        return None
    open_kfid, token = (root.findtext("OpenKfId") or "").strip(), (root.findtext("Token") or "")
    if not open_kfid or len(open_kfid) > 64:
        raise ValueError("OpenKfId missing or too long")
    return KfNotice(open_kfid, token.strip())


def at(send_time: Any) -> datetime:
    """WeCom's unix time as an aware UTC datetime."""
    return datetime.fromtimestamp(int(send_time or 0), timezone.utc)


class KfChannel:
    """Pull, record and answer the messages of customer-service accounts."""

    def __init__(self, services: Any) -> None:
        self.services = services

    def accept(self, notice: KfNotice) -> None:
        """The callback: remember its token and that a pull is wanted, then pull in the
        background (the callback has no passive reply and must answer fast)."""
        with self.services.sessions.begin() as session:
            kf.note_callback(session, notice.open_kfid, notice.token, self.services.clock())
        self.services.pipeline.background(self.pull, notice.open_kfid)

    def pull(self, open_kfid: str) -> int:
        """Pull every new message of the account while holding its lease; return how many."""
        owner, handled, sessions = secrets.token_hex(8), 0, self.services.sessions
        lease = self.services.settings.kf.lease_seconds
        while True:
            with sessions.begin() as session:
                cursor = kf.take_lease(session, open_kfid, owner, self.services.clock(), lease)
                if cursor is None:  # another worker pulls; it saw `wanted` and pulls again
                    return handled
                position, token = cursor.cursor, kf.live_token(cursor, self.services.clock())
            try:
                while True:
                    page = kf_api.sync_msg(self.services.client, open_kfid, position, token)
                    for item in page.get("msg_list") or []:
                        self.handle(item)
                        handled += 1
                    position = str(page.get("next_cursor") or position or "")
                    with sessions.begin() as session:  # after the page is recorded
                        kf.advance(session, open_kfid, owner, position, self.services.clock(),
                                   lease)
                    if not page.get("has_more"):
                        break
            except kf.LeaseLost:
                log.warning("kf lease lost open_kfid=%s", open_kfid)
                return handled
            except Exception:
                log.exception("kf pull failed open_kfid=%s", open_kfid)
                with sessions.begin() as session:
                    kf.drop_lease(session, open_kfid, owner)
                return handled
            with sessions.begin() as session:
                if kf.release(session, open_kfid, owner, self.services.clock()):
                    return handled

    def handle(self, item: dict[str, Any]) -> None:
        """One pulled message or event."""
        if item.get("msgtype") == "event":
            kf_events.handle(self, item, item.get("event") or {})
        elif item.get("origin") == CUSTOMER:
            self._customer_message(item)

    def user_of(self, open_kfid: str, external_userid: str) -> str:
        """The bot's user id of this account's customer."""
        return kf.customer_id(self.services.cipher.keyed_hash, open_kfid, external_userid)

    def _customer_message(self, item: dict[str, Any]) -> None:
        services, open_kfid = self.services, str(item.get("open_kfid") or "")
        external = str(item.get("external_userid") or "")
        user_id = self.user_of(open_kfid, external)
        msgtype = str(item.get("msgtype") or "unknown")
        incoming = Incoming(user_id=user_id, to_user=services.settings.wecom.corp_id,
                            agent_id=None, kind=msgtype if msgtype in KINDS else "unknown",
                            create_time=int(item.get("send_time") or 0),
                            msg_id=f"kf:{item.get('msgid')}",
                            text=str((item.get("text") or {}).get("content") or ""))
        if self.seen(incoming.delivery_key):
            return
        with services.sessions.begin() as session:
            customer = kf.customer(session, user_id, open_kfid, external)
            kf.customer_wrote(session, customer, at(item.get("send_time")))
            current = customer.service_state
        if current not in kf.OPEN_STATES:
            current = self._refresh_state(user_id, open_kfid, external, current)
        if current in HUMAN_STATES:
            self._record_quietly(incoming)
            return
        services.pipeline.process(incoming)
        self._after_answer(user_id, open_kfid, external)

    def seen(self, delivery_key: str) -> bool:
        """Was this delivery recorded already (a batch pulled again)?"""
        with read_connection(self.services.engine) as connection:
            return connection.scalar(select(InboundMessage.id).where(
                InboundMessage.delivery_key == delivery_key)) is not None

    def _refresh_state(self, user_id: str, open_kfid: str, external: str, current: int) -> int:
        """Ask WeCom whether a person still serves the session (it may be back with us)."""
        try:
            current, servicer = kf_api.get_state(self.services.client, open_kfid, external)
        except Exception:
            log.exception("kf service_state/get failed user=%s", mask_user(user_id))
            return current
        with self.services.sessions.begin() as session:
            kf.set_state(session, user_id, current, servicer)
        return current

    def _record_quietly(self, incoming: Incoming) -> None:
        """A person serves the session: keep the message for the console, answer nothing."""
        try:
            with self.services.sessions.begin() as session:
                state.record_inbound(session.connection(), delivery_key=incoming.delivery_key,
                                     user_id=incoming.user_id, kind=incoming.label[:40],
                                     text=scrub(incoming.text)[:2000] or None,
                                     handler="kf.servicer", received_at=self.services.clock())
        except IntegrityError:  # recorded already
            return

    def _after_answer(self, user_id: str, open_kfid: str, external: str) -> None:
        """Hand the session to staff if the message opened a handoff; tell held notices."""
        services = self.services
        with services.sessions.begin() as session:
            customer = kf.customer(session, user_id, open_kfid, external)
            latest = session.scalar(select(func.max(Handoff.id)).where(
                Handoff.user_id == user_id, Handoff.status == "open"))
            transfer = latest is not None and latest > (customer.handoff_id or 0)
            if transfer:
                customer.handoff_id = latest
            held = 0 if transfer else services.sender.kf.release_held(session, user_id)
            pending = sorted(session.info.pop("bot.sender.enqueued", ()))
        if held:
            services.sender.deliver(pending)
        if transfer:
            self._transfer(user_id, open_kfid, external)

    def _transfer(self, user_id: str, open_kfid: str, external: str) -> None:
        """人工: service_state/trans to the named servicer (3) or to the pool (2)."""
        servicer = self.services.settings.kf.servicer
        target = 3 if servicer else 2
        try:
            kf_api.trans(self.services.client, open_kfid, external, target, servicer)
        except Exception:  # the handoff stays open in the console; the bot keeps answering
            log.exception("kf trans failed user=%s", mask_user(user_id))
            return
        with self.services.sessions.begin() as session:
            kf.set_state(session, user_id, target, servicer)
        log.info("kf handoff user=%s state=%d", mask_user(user_id), target)
