"""Whatever arrives at /wecom/callback, the answer is 200, 400, 403 or 413, never a 500, and a
refused request writes nothing (hypothesis, on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import xmltodict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.simulator import WeComPeer
from db.models import InboundMessage, OutboundMessage, User
from tests.conftest import AGENT_ID, CORP_ID

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
ALLOWED = {200, 400, 403, 413}
XML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
FIELD_NAMES = st.sampled_from(["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content",
                               "MsgId", "AgentID", "Event", "EventKey", "TaskId", "Encrypt"])
MSG_TYPES = st.sampled_from(["text", "image", "voice", "video", "location", "link", "event",
                             "file", "shortvideo", "TEXT", "", "unknown"])
EVENTS = st.sampled_from(["subscribe", "unsubscribe", "enter_agent", "click", "view",
                          "template_card_event", "location", "", "SUBSCRIBE", "nonsense"])


def counts(services: Any) -> tuple[int, int, int]:
    """Rows in inbound_messages, outbound_messages and users."""
    with services.sessions.begin() as session:
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (InboundMessage, OutboundMessage, User))


def check(app: Any, services: Any, method: str, query: str, body: bytes = b"") -> int:
    """Send one request; the status is allowed, and a refusal changed no table."""
    services.pipeline.wait_idle()
    before = counts(services)
    client = app.test_client()
    if method == "GET":
        response = client.get(f"/wecom/callback?{query}")
    else:
        response = client.post(f"/wecom/callback?{query}", data=body,
                               content_type="application/xml")
    services.pipeline.wait_idle()
    assert response.status_code in ALLOWED
    if response.status_code != 200:
        assert counts(services) == before
        assert response.get_data() == b""
    return response.status_code


def signed(services: Any, plain: str) -> tuple[str, bytes]:
    """`plain` encrypted and signed as WeCom would: (query string, envelope)."""
    w = services.settings.wecom
    return WeComPeer(w.token, w.encoding_aes_key, w.corp_id, w.agent_id).envelope(plain)


def element(name: str, value: str) -> str:
    """<name>value</name>, the value escaped as XML text."""
    return xmltodict.unparse({name: value}, full_document=False)


@FUZZ
@given(body=st.binary(max_size=2000), query=st.sampled_from(["", "msg_signature=a&timestamp=1"
                                                              "&nonce=n", "x=1"]))
def test_random_bytes_are_refused_without_a_trace(app, services, body, query):
    assert check(app, services, "POST", query, body) in {400, 403}


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["msg_signature", "timestamp", "nonce", "echostr",
                                               "x", ""]), XML_TEXT, max_size=5),
       method=st.sampled_from(["GET", "POST"]))
def test_random_query_strings_never_fail(app, services, params, method):
    body = (f"<xml><ToUserName>{CORP_ID}</ToUserName><Encrypt>abc</Encrypt></xml>").encode()
    assert check(app, services, method, urlencode(params), body) in {400, 403}


@FUZZ
@given(fields=st.lists(st.tuples(FIELD_NAMES, XML_TEXT), max_size=8),
       root=st.sampled_from(["xml", "xml", "message", "XML"]))
def test_random_envelopes_never_fail(app, services, fields, root):
    inner = "".join(element(name, value) for name, value in fields)
    query, _ = signed(services, "<xml/>")
    body = f"<{root}>{inner}</{root}>".encode()
    assert check(app, services, "POST", query, body) in {400, 403}


@FUZZ
@given(to_user=XML_TEXT, agent=XML_TEXT, encrypt=XML_TEXT)
def test_random_envelope_contents_never_fail(app, services, to_user, agent, encrypt):
    query, _ = signed(services, "<xml/>")
    body = (f"<xml>{element('ToUserName', to_user)}{element('AgentID', agent)}"
            f"{element('Encrypt', encrypt)}</xml>").encode()
    assert check(app, services, "POST", query, body) in {400, 403}


@FUZZ
@given(plain=st.one_of(XML_TEXT, st.text(max_size=300).map(lambda t: f"<xml>{t}</xml>")))
def test_signed_envelopes_around_random_plaintext_never_fail(app, services, plain):
    query, body = signed(services, plain)
    check(app, services, "POST", query, body)


@FUZZ
@given(msg_type=MSG_TYPES, event=EVENTS,
       values=st.fixed_dictionaries({}, optional={
           "FromUserName": XML_TEXT, "CreateTime": XML_TEXT, "Content": XML_TEXT,
           "MsgId": XML_TEXT, "AgentID": st.sampled_from([str(AGENT_ID), "", "1", "x"]),
           "EventKey": XML_TEXT, "TaskId": XML_TEXT, "ToUserName": st.just("wwsomeoneelse")}))
def test_signed_messages_with_random_fields_never_fail(app, services, msg_type, event, values):
    fields = {"ToUserName": CORP_ID, "FromUserName": "fuzz01", "MsgType": msg_type,
              "Event": event, **values}
    plain = xmltodict.unparse({"xml": fields}, full_document=False)
    query, body = signed(services, plain)
    check(app, services, "POST", query, body)


@FUZZ
@given(plain=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                     max_size=80))
def test_url_verification_answers_any_signed_echostr_exactly(app, services, plain):
    from wechatpy.crypto import _get_signature
    from wechatpy.enterprise.crypto import PrpCrypto

    w = services.settings.wecom
    echostr = PrpCrypto(services.crypto.key).encrypt(plain, CORP_ID)
    echostr = echostr.decode() if isinstance(echostr, bytes) else echostr
    query = urlencode({"msg_signature": _get_signature(w.token, "1409659589", "263014780",
                                                       echostr),
                       "timestamp": "1409659589", "nonce": "263014780", "echostr": echostr})
    response = app.test_client().get(f"/wecom/callback?{query}")
    assert (response.status_code, response.get_data(as_text=True)) == (200, plain)
    assert counts(services) == (0, 0, 0)
