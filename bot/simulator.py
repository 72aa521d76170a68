"""A local stand-in for WeCom, for the demo and the tests.

`simulator_blueprint` serves the API the bot calls (gettoken, message/send with text or a
button_interaction template_card, menu/create, media/upload, media/get, and the 微信客服 calls
of bot/simulator_kf.py) and records what it was sent (a card's text as its content, the card
itself as `card`); `WeComPeer` plays WeCom's side of the callback: it encrypts and signs
messages as WeCom would and decrypts passive replies.
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, jsonify, request
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.utils import to_text
import xmltodict

from bot.cards import card_text
from bot.simulator_kf import KfSimulator, add_kf_routes


@dataclass
class SimulatorState:
    """What the simulated WeCom has seen; thread-safe."""

    corp_id: str
    secret: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)
    menus: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)
    failures: list[int] = field(default_factory=list)  # errcodes to answer the next sends with
    invalid_users: set[str] = field(default_factory=set)  # answered as `invaliduser`
    delivered: dict[tuple[str, int], float] = field(default_factory=dict)  # duplicate check
    token_fetches: int = 0
    send_calls: int = 0  # message/send requests, answered or failed
    ids: Any = field(default_factory=lambda: itertools.count(1))
    kf: KfSimulator = field(default_factory=KfSimulator)  # 微信客服 (bot/simulator_kf.py)

    def sent_to(self, user_id: str, after: int = 0) -> list[dict[str, Any]]:
        """Messages sent to `user_id` with an id above `after`."""
        with self.lock:
            return [m for m in self.messages if user_id in m["touser"].split("|")
                    and m["id"] > after]

    def next_failure(self) -> Any:
        """The answer for the next queued failure, or None: a JSON errcode (40014 and 42001
        forget the tokens), or for 500-599 that HTTP status."""
        with self.lock:
            if not self.failures:
                return None
            errcode = self.failures.pop(0)
            if errcode in (40014, 42001):  # invalid / expired: every token is gone
                self.tokens.clear()
        if 500 <= errcode < 600:
            return "simulated server error", errcode
        return jsonify(errcode=errcode, errmsg="simulated failure")

    def reset(self) -> None:
        """Forget what was sent and every injected fault (a fresh start for a test)."""
        with self.lock:
            self.messages.clear()
            self.failures.clear()
            self.menus.clear()
            self.invalid_users.clear()
            self.delivered.clear()

    def fail_next(self, *errcodes: int) -> None:
        """Answer the next sends with these errcodes (45009, -1, 40014, 42001; 500-599: that
        HTTP status instead)."""
        with self.lock:
            self.failures.extend(errcodes)


def _deliver(state: SimulatorState, body: dict[str, Any], content: str) -> dict[str, Any]:
    """Record a message for its valid recipients (under the lock); WeCom's answer.

    With `enable_duplicate_check`, a recipient who got the same content within
    `duplicate_check_interval` seconds (default 1800) does not get it again.
    """
    users = [u for u in str(body.get("touser", "")).split("|") if u]
    invalid = [u for u in users if u in state.invalid_users]
    now, digest = time.time(), hash((body.get("msgtype"), content))
    window = float(body.get("duplicate_check_interval") or 1800)
    fresh = [u for u in users if u not in state.invalid_users and not (
        body.get("enable_duplicate_check") and now - state.delivered.get((u, digest), -1e18)
        < window)]
    message_id = next(state.ids)
    for user in fresh:
        state.delivered[(user, digest)] = now
    if fresh:
        state.messages.append({"id": message_id, "touser": "|".join(fresh),
                               "msgtype": body.get("msgtype"), "agentid": body.get("agentid"),
                               "content": content, "body": body, "time": now,
                               "card": body.get("template_card")})
    return {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid),
            "msgid": f"sim{message_id}"}


def card_problem(card: Any) -> str:
    """What WeCom would refuse in a button_interaction card (40058), or "" when it is fine."""
    if not isinstance(card, dict) or card.get("card_type") != "button_interaction":
        return "template_card.card_type: only button_interaction is simulated"
    task_id = str(card.get("task_id") or "")
    if not re.fullmatch(r"[0-9A-Za-z_\-@]{1,128}", task_id):
        return "template_card.task_id invalid"
    buttons = card.get("button_list") or []
    if not 1 <= len(buttons) <= 6 or not all(
            b.get("text") and 0 < len(str(b.get("key") or "").encode()) <= 1024
            for b in buttons):
        return "template_card.button_list invalid"
    if not card_text(card):
        return "template_card has no text"
    return ""


def simulator_blueprint(state: SimulatorState) -> Blueprint:
    """The simulated WeCom API, to mount at the `api_base` the bot is configured with."""
    bp = Blueprint("simulator", __name__)

    def authorised() -> bool:
        return request.args.get("access_token", "") in state.tokens

    @bp.get("/cgi-bin/gettoken")
    def gettoken():  # type: ignore[no-untyped-def]
        if request.args.get("corpid") != state.corp_id:
            return jsonify(errcode=40013, errmsg="invalid corpid")
        if request.args.get("corpsecret") != state.secret:
            return jsonify(errcode=40001, errmsg="invalid credential")
        token = secrets.token_urlsafe(24)
        with state.lock:
            state.tokens.add(token)
            state.token_fetches += 1
        return jsonify(errcode=0, errmsg="ok", access_token=token, expires_in=7200)

    @bp.post("/cgi-bin/message/send")
    def message_send():  # type: ignore[no-untyped-def]
        if not authorised():
            return jsonify(errcode=40014, errmsg="invalid access_token")
        body = request.get_json(force=True, silent=True) or {}
        with state.lock:
            state.send_calls += 1
        failure = state.next_failure()
        if failure is not None:
            return failure
        if body.get("msgtype") == "template_card":
            problem = card_problem(body.get("template_card"))
            if problem:
                return jsonify(errcode=40058, errmsg=problem)
            content = card_text(body["template_card"])
        else:
            content = (body.get("text") or {}).get("content", "")
        if body.get("msgtype") == "text" and len(content.encode()) > 2048:
            return jsonify(errcode=45002, errmsg="content size out of limit")
        with state.lock:
            return jsonify(**_deliver(state, body, content))

    @bp.post("/cgi-bin/menu/create")
    def menu_create():  # type: ignore[no-untyped-def]
        if not authorised():
            return jsonify(errcode=40014, errmsg="invalid access_token")
        failure = state.next_failure()
        if failure is not None:
            return failure
        with state.lock:
            state.menus.append(request.get_json(force=True, silent=True) or {})
        return jsonify(errcode=0, errmsg="ok")

    @bp.post("/cgi-bin/media/upload")
    def media_upload():  # type: ignore[no-untyped-def]
        if not authorised():
            return jsonify(errcode=40014, errmsg="invalid access_token")
        media_id = secrets.token_hex(8)
        upload = request.files.get("media")
        with state.lock:
            state.media[media_id] = upload.read() if upload else request.get_data()
        return jsonify(errcode=0, errmsg="ok", media_id=media_id, type=request.args.get("type"))

    @bp.get("/cgi-bin/media/get")
    def media_get():  # type: ignore[no-untyped-def]
        data = state.media.get(request.args.get("media_id", ""))
        if not authorised() or data is None:
            return jsonify(errcode=40007, errmsg="invalid media_id")
        return data, 200, {"Content-Type": "application/octet-stream"}

    add_kf_routes(bp, state.kf, authorised)

    @bp.get("/messages")
    def messages():  # type: ignore[no-untyped-def]
        """For the demo page: what the bot sent to a user through the API."""
        user = request.args.get("user", "")
        after = request.args.get("after", "0")
        found = state.sent_to(user, int(after) if after.isdigit() else 0)
        return jsonify([{"id": m["id"], "content": m["content"]} for m in found])

    return bp


def create_simulator_app(state: SimulatorState) -> Flask:
    """A stand-alone simulator app (tests serve it on a local port)."""
    app = Flask("wecom-simulator")
    app.register_blueprint(simulator_blueprint(state))
    return app


class WeComPeer:
    """WeCom's side of the callback: builds signed, encrypted callbacks; reads passive replies."""

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str, agent_id: int) -> None:
        self.crypto = WeChatCrypto(token, encoding_aes_key, corp_id)
        self.corp_id, self.agent_id = corp_id, agent_id
        self._msg_ids = itertools.count(int(time.time() * 1000) * 1000)

    def text(self, user: str, content: str, msg_id: int | None = None,
             create_time: int | None = None) -> tuple[str, bytes]:
        """A text message callback: (query string, body)."""
        fields = {"MsgType": "text", "Content": content,
                  "MsgId": str(msg_id if msg_id is not None else next(self._msg_ids))}
        return self.callback(user, fields, create_time)

    def event(self, user: str, event: str, key: str = "", task_id: str = "",
              create_time: int | None = None) -> tuple[str, bytes]:
        """An event callback (subscribe, enter_agent, click, template_card_event, ...)."""
        fields = {"MsgType": "event", "Event": event, "EventKey": key}
        if task_id:
            fields["TaskId"] = task_id
        return self.callback(user, fields, create_time)

    def message(self, user: str, msg_type: str, **extra: str) -> tuple[str, bytes]:
        """Any other message type (image, voice, location, ...)."""
        fields = {"MsgType": msg_type, "MsgId": str(next(self._msg_ids)), **extra}
        return self.callback(user, fields)

    def callback(self, user: str, fields: dict[str, str],
                 create_time: int | None = None) -> tuple[str, bytes]:
        """Encrypt and sign a plaintext message as WeCom does."""
        plain = {"xml": {"ToUserName": self.corp_id, "FromUserName": user,
                         "CreateTime": str(create_time or int(time.time())), **fields,
                         "AgentID": str(self.agent_id)}}
        return self.envelope(xmltodict.unparse(plain, full_document=False))

    def envelope(self, xml: str) -> tuple[str, bytes]:
        """Encrypt any plaintext XML into a signed callback envelope: (query string, body)."""
        nonce, timestamp = secrets.token_hex(5), str(int(time.time()))
        encrypted = self.crypto.encrypt_message(xml, nonce, timestamp)
        parsed = xmltodict.parse(encrypted)["xml"]
        body = (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<AgentID><![CDATA[{self.agent_id}]]></AgentID>"
                f"<Encrypt><![CDATA[{parsed['Encrypt']}]]></Encrypt></xml>").encode()
        query = urlencode({"msg_signature": parsed["MsgSignature"], "timestamp": timestamp,
                           "nonce": nonce})
        return query, body

    def verification(self, plain: str) -> str:
        """The query string of WeCom's URL verification (GET) whose echostr decrypts to `plain`."""
        from wechatpy.crypto import _get_signature
        from wechatpy.enterprise.crypto import PrpCrypto

        echostr = to_text(PrpCrypto(self.crypto.key).encrypt(plain, self.corp_id))
        nonce, timestamp = secrets.token_hex(5), str(int(time.time()))
        return urlencode({"msg_signature": _get_signature(self.crypto.token, timestamp, nonce,
                                                          echostr),
                          "timestamp": timestamp, "nonce": nonce, "echostr": echostr})

    def read_reply(self, body: bytes | str) -> str:
        """Decrypt a passive reply and return its text ("" for an empty response)."""
        if not body:
            return ""
        parsed = xmltodict.parse(to_text(body))["xml"]
        xml = self.crypto.decrypt_message(to_text(body), parsed["MsgSignature"],
                                          parsed["TimeStamp"], parsed["Nonce"])
        return xmltodict.parse(xml)["xml"].get("Content") or ""
