"""微信客服 system events pulled with the messages: enter_session (the welcome), msg_send_fail
(kept, and the outbox row marked failed), session_status_change (the session's state).

Events: https://developer.work.weixin.qq.com/document/path/94670 (事件消息)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.messages import Incoming
from db import kf
from db.models import OutboundMessage

STATE_OF_CHANGE = {1: 3, 2: 3, 3: 4, 4: 3}  # session_status_change change_type → state


def handle(channel: Any, item: dict[str, Any], event: dict[str, Any]) -> None:
    """One system event (origin 4) of a pulled page."""
    services, kind = channel.services, str(event.get("event_type") or "")
    open_kfid = str(event.get("open_kfid") or item.get("open_kfid") or "")
    external = str(event.get("external_userid") or "")
    user_id = channel.user_of(open_kfid, external) if external else None
    msgid, now = str(item.get("msgid") or ""), services.clock()
    if kind == "enter_session" and user_id:
        enter_session(channel, item, event, user_id, open_kfid, external)
        return
    with services.sessions.begin() as session:
        if kind == "msg_send_fail":
            fail = str(event.get("fail_msgid") or "")
            if kf.record_event(session, msgid, user_id, kind,
                               f"fail_msgid={fail} fail_type={event.get('fail_type')}", now):
                mark_failed(session, fail, event.get("fail_type"))
        elif kind == "session_status_change" and user_id:
            change = int(event.get("change_type") or 0)
            servicer = str(event.get("new_servicer_userid") or "")
            if kf.record_event(session, msgid, user_id, kind, f"change_type={change}", now):
                kf.customer(session, user_id, open_kfid, external)
                kf.set_state(session, user_id, STATE_OF_CHANGE.get(change, 3), servicer)


def mark_failed(session: Session, fail_msgid: str, fail_type: Any) -> None:
    """WeCom could not deliver a message it had accepted: the outbox row says so."""
    if fail_msgid.startswith("ob") and fail_msgid[2:].isdigit():
        row = session.get(OutboundMessage, int(fail_msgid[2:]))
        if row is not None:
            row.status, row.errmsg = "failed", f"msg_send_fail {fail_type}"[:255]


def enter_session(channel: Any, item: dict[str, Any], event: dict[str, Any], user_id: str,
                  open_kfid: str, external: str) -> None:
    """The customer opened the chat: keep the welcome code (20 s) and let the bot greet as
    when a member opens the app (first visit or a long absence)."""
    from bot.kf import at

    services, code = channel.services, str(event.get("welcome_code") or "")
    incoming = Incoming(user_id=user_id, to_user=services.settings.wecom.corp_id,
                        agent_id=None, kind="event", event="enter_agent",
                        create_time=int(item.get("send_time") or 0),
                        event_key=f"kf:{item.get('msgid')}")
    if channel.seen(incoming.delivery_key):
        return
    with services.sessions.begin() as session:
        customer = kf.customer(session, user_id, open_kfid, external)
        if code:
            customer.welcome_code = code[:128]
            customer.welcome_until = at(item.get("send_time")) + kf.WELCOME_LIFE
    services.pipeline.process(incoming)
