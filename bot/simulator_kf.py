"""The simulated 微信客服 (WeChat customer service) side of WeCom, for the demo and the tests.

`KfSimulator` keeps each account's message log (what customers wrote, system events), the
sessions (state 0..4, servicer, the customer's last message, answers used since) and what the
bot sent. `add_kf_routes` serves kf/sync_msg (cursor, has_more, limit), kf/send_msg,
kf/send_msg_on_event and kf/service_state/get|trans with WeCom's limits enforced: a send
outside states 0/1 or the 48 h window answers 95018, a sixth message after one customer
message 95001, a welcome code used twice or after 20 s 95018. A msgid already sent is not
sent again. `kf_callback` builds the encrypted kf_msg_or_event callback for the webhook.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import xmltodict
from flask import Blueprint, jsonify, request

WINDOW_SECONDS, ANSWERS, WELCOME_SECONDS = 48 * 3600, 5, 20


@dataclass
class KfSession:
    """One customer's session with one account, as WeCom keeps it."""

    state: int = 0
    servicer: str = ""
    last_customer: float | None = None
    answers: int = 0  # messages sent since the customer's last message


@dataclass
class KfSimulator:
    """What the simulated customer-service accounts hold; thread-safe."""

    clock: Callable[[], float] = time.time
    lock: threading.Lock = field(default_factory=threading.Lock)
    log: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per open_kfid
    sessions: dict[tuple[str, str], KfSession] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    syncs: list[dict[str, Any]] = field(default_factory=list)
    fail_syncs: int = 0  # answer the next sync_msg calls with -1 (system busy)
    max_page: int = 1000  # WeCom may return fewer than `limit`: then has_more says so
    ids: Any = field(default_factory=lambda: itertools.count(1))

    def reset(self, clock: Callable[[], float] = time.time) -> None:
        """Forget everything (between tests)."""
        with self.lock:
            for store in (self.log, self.sessions, self.codes):
                store.clear()
            for items in (self.sent, self.refused, self.syncs):
                items.clear()
            self.tokens.clear()
            self.clock, self.fail_syncs, self.max_page = clock, 0, 1000

    def session(self, open_kfid: str, external_userid: str) -> KfSession:
        """The customer's session (made on first use); call with the lock held."""
        return self.sessions.setdefault((open_kfid, external_userid), KfSession())

    def _append(self, open_kfid: str, item: dict[str, Any]) -> str:
        msgid = f"kfmsg{next(self.ids)}{secrets.token_hex(4)}"
        self.log.setdefault(open_kfid, []).append({"msgid": msgid, "open_kfid": open_kfid,
                                                    **item})
        return msgid

    def customer_says(self, open_kfid: str, external_userid: str, text: str,
                      send_time: float | None = None) -> str:
        """A WeChat customer writes: queued for sync_msg; a new window and 5 answers."""
        now = self.clock() if send_time is None else send_time
        with self.lock:
            session = self.session(open_kfid, external_userid)
            if session.state == 4:
                session.state, session.servicer = 0, ""
            session.last_customer, session.answers = now, 0
            return self._append(open_kfid, {
                "external_userid": external_userid, "send_time": int(now), "origin": 3,
                "msgtype": "text", "text": {"content": text}})

    def event(self, open_kfid: str, external_userid: str, event_type: str,
              **fields: Any) -> str:
        """A system event (origin 4): enter_session gets a welcome_code valid for 20 s."""
        now = self.clock()
        with self.lock:
            self.session(open_kfid, external_userid)
            if event_type == "enter_session":
                fields["welcome_code"] = code = secrets.token_hex(8)
                self.codes[code] = {"open_kfid": open_kfid, "user": external_userid,
                                    "time": now, "used": False}
            return self._append(open_kfid, {
                "send_time": int(now), "origin": 4, "msgtype": "event",
                "event": {"event_type": event_type, "open_kfid": open_kfid,
                          "external_userid": external_userid, **fields}})

    def new_token(self) -> str:
        """The token a kf_msg_or_event callback carries."""
        with self.lock:
            token = secrets.token_urlsafe(12)
            self.tokens.add(token)
            return token

    def sent_to(self, external_userid: str, after: int = 0) -> list[dict[str, Any]]:
        """What the bot sent to this customer (send_msg and send_msg_on_event)."""
        with self.lock:
            return [m for m in self.sent if m["touser"] == external_userid and m["id"] > after]

    def _send(self, open_kfid: str, user: str, body: dict[str, Any], via: str) -> Any:
        content = (body.get("text") or {}).get("content", "")
        msgid = str(body.get("msgid") or f"auto{next(self.ids)}")
        if len(content.encode()) > 2048:
            return jsonify(errcode=45002, errmsg="content size out of limit")
        if any(m["msgid"] == msgid and m["open_kfid"] == open_kfid for m in self.sent):
            return jsonify(errcode=0, errmsg="ok", msgid=msgid)  # the same msgid: once
        self.sent.append({"id": next(self.ids), "open_kfid": open_kfid, "touser": user,
                          "msgid": msgid, "content": content, "via": via})
        return jsonify(errcode=0, errmsg="ok", msgid=msgid)


def add_kf_routes(bp: Blueprint, kf: KfSimulator, authorised: Callable[[], bool]) -> None:
    """Serve the kf API on the simulator's blueprint."""

    def refuse(errcode: int, errmsg: str, body: dict[str, Any]) -> Any:
        kf.refused.append({"errcode": errcode, "body": body})
        return jsonify(errcode=errcode, errmsg=errmsg)

    def api(path: str):  # type: ignore[no-untyped-def]
        """A kf endpoint: token checked, the JSON body passed in."""
        def wrap(view: Callable[[dict[str, Any]], Any]) -> Any:
            def guarded():  # type: ignore[no-untyped-def]
                if not authorised():
                    return jsonify(errcode=40014, errmsg="invalid access_token")
                return view(request.get_json(force=True, silent=True) or {})
            guarded.__name__ = view.__name__
            return bp.post(path)(guarded)
        return wrap

    @api("/cgi-bin/kf/sync_msg")
    def kf_sync_msg(data: dict[str, Any]):  # type: ignore[no-untyped-def]
        limit = int(data.get("limit") or 1000)
        cursor = str(data.get("cursor") or "c0")
        if not 1 <= limit <= 1000 or not cursor.startswith("c") or not cursor[1:].isdigit():
            return jsonify(errcode=40058, errmsg="invalid cursor or limit")
        with kf.lock:
            if kf.fail_syncs:
                kf.fail_syncs -= 1
                return jsonify(errcode=-1, errmsg="system busy")
            if data.get("token") and data["token"] not in kf.tokens:
                return jsonify(errcode=95007, errmsg="invalid msg token")
            kf.syncs.append(dict(data))
            log = kf.log.get(str(data.get("open_kfid") or ""), [])
            start = int(cursor[1:])
            page = log[start:start + min(limit, kf.max_page)]
            end = start + len(page)
        return jsonify(errcode=0, errmsg="ok", next_cursor=f"c{end}",
                       has_more=int(end < len(log)), msg_list=page)

    @api("/cgi-bin/kf/send_msg")
    def kf_send_msg(data: dict[str, Any]):  # type: ignore[no-untyped-def]
        open_kfid, user = str(data.get("open_kfid") or ""), str(data.get("touser") or "")
        with kf.lock:
            session = kf.sessions.get((open_kfid, user))
            if any(m["msgid"] == data.get("msgid") and m["open_kfid"] == open_kfid
                   for m in kf.sent):
                return jsonify(errcode=0, errmsg="ok", msgid=data["msgid"])
            if session is None or session.state not in (0, 1) or session.last_customer is None \
                    or kf.clock() - session.last_customer > WINDOW_SECONDS:
                return refuse(95018, "send msg session status invalid", data)
            if session.answers >= ANSWERS:
                return refuse(95001, "send msg count limit exceeded", data)
            session.answers += 1
            return kf._send(open_kfid, user, data, "send_msg")

    @api("/cgi-bin/kf/send_msg_on_event")
    def kf_send_msg_on_event(data: dict[str, Any]):  # type: ignore[no-untyped-def]
        with kf.lock:
            code = kf.codes.get(str(data.get("code") or ""))
            if code is None or code["used"] or kf.clock() - code["time"] > WELCOME_SECONDS:
                return refuse(95018, "welcome code invalid or expired", data)
            code["used"] = True
            return kf._send(code["open_kfid"], code["user"], data, "send_msg_on_event")

    @api("/cgi-bin/kf/service_state/get")
    def kf_state_get(data: dict[str, Any]):  # type: ignore[no-untyped-def]
        with kf.lock:
            session = kf.session(str(data.get("open_kfid")), str(data.get("external_userid")))
            return jsonify(errcode=0, errmsg="ok", service_state=session.state,
                           servicer_userid=session.servicer)

    @api("/cgi-bin/kf/service_state/trans")
    def kf_state_trans(data: dict[str, Any]):  # type: ignore[no-untyped-def]
        target = int(data.get("service_state", -1))
        servicer = str(data.get("servicer_userid") or "")
        if target not in (1, 2, 3, 4) or (target == 3 and not servicer):
            return jsonify(errcode=95016, errmsg="state change not allowed")
        with kf.lock:
            session = kf.session(str(data.get("open_kfid")), str(data.get("external_userid")))
            session.state, session.servicer = target, servicer if target == 3 else ""
        return jsonify(errcode=0, errmsg="ok", msg_code="")

    @bp.get("/kf/messages")
    def kf_messages():  # type: ignore[no-untyped-def]
        """For the demo page: what the bot sent to a customer."""
        after = request.args.get("after", "0")
        found = kf.sent_to(request.args.get("user", ""), int(after) if after.isdigit() else 0)
        return jsonify([{"id": m["id"], "content": m["content"]} for m in found])


def kf_callback(peer: Any, corp_id: str, open_kfid: str, token: str) -> tuple[str, bytes]:
    """The encrypted kf_msg_or_event callback WeCom posts: (query string, body)."""
    plain = {"xml": {"ToUserName": corp_id, "CreateTime": str(int(time.time())),
                     "MsgType": "event", "Event": "kf_msg_or_event", "Token": token,
                     "OpenKfId": open_kfid}}
    return peer.envelope(xmltodict.unparse(plain, full_document=False))
