"""The callback edge: URL verification, and every way a callback is refused (403, 400, 413).

A refusal writes nothing (no inbound, outbound or user row) and sends nothing, on SQLite and
PostgreSQL. The GET and POST samples from the WeCom documentation are used as they are.
"""

from __future__ import annotations

import io
import time
from typing import Any, Iterator

import pytest
import xmltodict
from sqlalchemy import func, select
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.app import create_app
from bot.services import Services, build_services
from bot.simulator import WeComPeer
from db.models import InboundMessage, OutboundMessage, User
from tests.conftest import AGENT_ID, CORP_ID, make_settings

# The official sample (加解密 90968): configuration, GET verification and a POST callback.
OFFICIAL = {"corp_id": "wx5823bf96d3bd56c7", "agent_id": 218, "token": "QDG6eK",
            "encoding_aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"}
OFFICIAL_GET = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
                "timestamp": "1409659589", "nonce": "263014780",
                "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8"
                           "TgAE7OaBO+FZXvnaqQ=="}
OFFICIAL_POST_QUERY = {"msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6",
                       "timestamp": "1409659813", "nonce": "1372623149"}
OFFICIAL_POST_BODY = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA["
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdC"
    "Upj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4X"
    "gpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+K"
    "qCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XX"
    "ZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHB"
    "ZZIs2pDBS8R07+qN+E7Q==]]></Encrypt>\n<AgentID><![CDATA[218]]></AgentID>\n</xml>").encode()

NOTHING = {"inbound_messages": 0, "outbound_messages": 0, "users": 0}
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE xml [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><ToUserName>&lol9;</ToUserName><Encrypt>&lol9;</Encrypt></xml>"""


def table_counts(services: Services) -> dict[str, int]:
    """Rows in the tables a callback may write."""
    with services.sessions.begin() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (InboundMessage, OutboundMessage, User)}


def plaintext(user: str | None = "zhang3", *, content: str = "你好", to_user: str = CORP_ID,
              agent_id: str | None = str(AGENT_ID), msg_id: str = "7000000000000000001") -> str:
    """A decrypted text-message callback, with the fields WeCom puts in it."""
    fields: dict[str, str] = {"ToUserName": to_user}
    if user is not None:
        fields["FromUserName"] = user
    fields.update({"CreateTime": str(int(time.time())), "MsgType": "text", "Content": content,
                   "MsgId": msg_id})
    if agent_id is not None:
        fields["AgentID"] = agent_id
    return xmltodict.unparse({"xml": fields}, full_document=False)


def seal(services: Services, plain: str, *, corp_id: str = CORP_ID, to_user: str = CORP_ID,
         agent_id: str | None = str(AGENT_ID)) -> tuple[dict[str, str], bytes]:
    """Encrypt `plain` for `corp_id` and sign it with our token: (query, envelope body)."""
    w = services.settings.wecom
    nonce, timestamp = "1372623149", str(int(time.time()))
    sealed = WeChatCrypto(w.token, w.encoding_aes_key, corp_id).encrypt_message(plain, nonce,
                                                                                timestamp)
    parsed = xmltodict.parse(sealed)["xml"]
    agent = f"<AgentID><![CDATA[{agent_id}]]></AgentID>" if agent_id is not None else ""
    body = (f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName>{agent}"
            f"<Encrypt><![CDATA[{parsed['Encrypt']}]]></Encrypt></xml>").encode()
    return {"msg_signature": parsed["MsgSignature"], "timestamp": timestamp,
            "nonce": nonce}, body


def post(app: Any, services: Services, query: dict[str, str], body: bytes, **kwargs: Any) -> Any:
    """POST a callback and wait until any work it started has finished."""
    response = app.test_client().post("/wecom/callback", query_string=query, data=body,
                                      content_type="application/xml", **kwargs)
    services.pipeline.wait_idle()
    return response


def assert_refused(response: Any, status: int, services: Services, simulator: Any) -> None:
    """The callback got `status` with an empty body, and nothing was written or sent."""
    services.pipeline.wait_idle()
    assert (response.status_code, response.get_data()) == (status, b"")
    assert table_counts(services) == NOTHING
    assert simulator[0].messages == []


@pytest.fixture
def official(database: str, fresh_simulator: Any,
             knowledge_base: Any) -> Iterator[tuple[Any, Services]]:
    """An app configured with the official sample's token, AES key, CorpID and AgentID (the
    simulator emptied: a refusal is checked to have sent nothing)."""
    simulator = fresh_simulator
    settings = make_settings(database, simulator[1], wecom=OFFICIAL)
    services = build_services(settings, kb=knowledge_base)
    yield create_app(services=services), services
    services.pipeline.wait_idle()
    services.engine.dispose()


# --- GET: URL verification -------------------------------------------------------------


def test_url_verification_answers_the_bare_decrypted_echostr(official, simulator):
    app, services = official
    response = app.test_client().get("/wecom/callback", query_string=OFFICIAL_GET)
    assert (response.status_code, response.get_data()) == (200, b"1616140317555161061")
    assert response.mimetype == "text/plain"
    assert table_counts(services) == NOTHING


def test_url_verification_with_a_bad_signature_is_403(official, simulator):
    app, services = official
    query = {**OFFICIAL_GET, "msg_signature": "0" * 40}
    assert_refused(app.test_client().get("/wecom/callback", query_string=query), 403,
                   services, simulator)


def test_url_verification_with_a_tampered_echostr_is_403(official, simulator):
    app, services = official
    query = {**OFFICIAL_GET, "echostr": "Q" + OFFICIAL_GET["echostr"][1:]}
    assert_refused(app.test_client().get("/wecom/callback", query_string=query), 403,
                   services, simulator)


def test_url_verification_of_an_echostr_for_another_corp_is_403(database, fresh_simulator,
                                                                 knowledge_base):
    simulator = fresh_simulator
    # Same token and key, but our CorpID differs: wechatpy raises InvalidCorpIdException.
    settings = make_settings(database, simulator[1], wecom={**OFFICIAL, "corp_id": CORP_ID})
    services = build_services(settings, kb=knowledge_base)
    try:
        response = create_app(services=services).test_client().get(
            "/wecom/callback", query_string=OFFICIAL_GET)
        assert_refused(response, 403, services, simulator)
    finally:
        services.engine.dispose()


@pytest.mark.parametrize("missing", ["msg_signature", "timestamp", "nonce", "echostr"])
def test_url_verification_without_a_parameter_is_400(official, simulator, missing):
    app, services = official
    query = {k: v for k, v in OFFICIAL_GET.items() if k != missing}
    assert_refused(app.test_client().get("/wecom/callback", query_string=query), 400,
                   services, simulator)


def test_url_verification_of_a_signed_undecryptable_echostr_is_400(official, simulator):
    from wechatpy.crypto import _get_signature

    app, services = official
    echostr = "bm90IGEgY2lwaGVydGV4dA=="  # valid base64, not a whole AES block
    query = {"timestamp": "1409659589", "nonce": "263014780", "echostr": echostr,
             "msg_signature": _get_signature(OFFICIAL["token"], "1409659589", "263014780",
                                             echostr)}
    assert_refused(app.test_client().get("/wecom/callback", query_string=query), 400,
                   services, simulator)


# --- POST: accepted ----------------------------------------------------------------------


def test_the_official_post_sample_is_accepted_and_answered(official, simulator, monkeypatch):
    from bot import webhook

    app, services = official
    monkeypatch.setattr(webhook, "server_time", lambda: 1409659813 + 5)  # when it was made
    response = post(app, services, OFFICIAL_POST_QUERY, OFFICIAL_POST_BODY)
    assert response.status_code == 200
    peer = WeComPeer(OFFICIAL["token"], OFFICIAL["encoding_aes_key"], OFFICIAL["corp_id"], 218)
    replies = [peer.read_reply(response.get_data())] if response.get_data() else []
    replies += [m["content"] for m in simulator[0].sent_to("mycreate")]
    assert len(replies) >= 1 and all(replies)
    with services.sessions.begin() as session:
        rows = session.execute(select(InboundMessage.user_id, InboundMessage.kind,
                                      InboundMessage.text)).all()
    assert [tuple(r) for r in rows] == [("mycreate", "text", "hello")]


def test_a_callback_without_agent_id_but_for_our_corp_is_answered(app, services, simulator):
    query, body = seal(services, plaintext(agent_id=None), agent_id=None)
    assert b"AgentID" not in body
    response = post(app, services, query, body)
    assert response.status_code == 200
    peer = WeComPeer(services.settings.wecom.token, services.settings.wecom.encoding_aes_key,
                     CORP_ID, AGENT_ID)
    replies = [peer.read_reply(response.get_data())] if response.get_data() else []
    replies += [m["content"] for m in simulator[0].sent_to("zhang3")]
    assert len(replies) >= 1 and all(replies)
    assert table_counts(services)["inbound_messages"] == 1


def test_the_passive_reply_is_what_wechatpy_renders_and_seals(app, services, simulator):
    """The reply is built without wechatpy's TextReply and cipher (bot/callback_crypto.py):
    wechatpy still checks its signature, decrypts it for our CorpID and finds the XML its
    TextReply would render."""
    from wechatpy.replies import TextReply

    w = services.settings.wecom
    query, body = seal(services, plaintext())
    response = post(app, services, query, body)
    sealed = xmltodict.parse(response.get_data())["xml"]
    assert (sealed["TimeStamp"], sealed["Nonce"]) == (query["timestamp"], query["nonce"])
    xml = WeChatCrypto(w.token, w.encoding_aes_key, CORP_ID).decrypt_message(
        response.get_data(), sealed["MsgSignature"], query["timestamp"], query["nonce"])
    fields = xmltodict.parse(xml)["xml"]
    assert fields["Content"] and fields["ToUserName"] == "zhang3"
    assert xml == TextReply(source=CORP_ID, target="zhang3", content=fields["Content"],
                            time=int(fields["CreateTime"])).render()


@pytest.mark.parametrize("content_type", ["text/xml", "application/xml", None,
                                          "application/x-www-form-urlencoded"])
def test_a_callback_is_read_whatever_its_content_type(app, services, simulator, content_type):
    query, body = seal(services, plaintext())
    response = app.test_client().post("/wecom/callback", query_string=query, data=body,
                                      content_type=content_type)
    services.pipeline.wait_idle()
    assert response.status_code == 200
    assert table_counts(services)["inbound_messages"] == 1


# --- POST: refused with 403 --------------------------------------------------------------


def test_a_bad_signature_is_403(app, services, simulator):
    query, body = seal(services, plaintext())
    query["msg_signature"] = "f" * 40
    assert_refused(post(app, services, query, body), 403, services, simulator)


def test_a_signature_over_another_timestamp_is_403(app, services, simulator):
    query, body = seal(services, plaintext())
    query["timestamp"] = str(int(query["timestamp"]) + 1)
    assert_refused(post(app, services, query, body), 403, services, simulator)


def test_a_message_encrypted_for_another_corp_is_403(app, services, simulator):
    query, body = seal(services, plaintext(), corp_id="wwanothercorp0001")
    assert_refused(post(app, services, query, body), 403, services, simulator)


def test_an_envelope_addressed_to_another_corp_is_403(app, services, simulator):
    query, body = seal(services, plaintext(), to_user="wwanothercorp0001")
    assert_refused(post(app, services, query, body), 403, services, simulator)


def test_an_envelope_for_another_agent_is_403(app, services, simulator):
    query, body = seal(services, plaintext(), agent_id="1000099")
    assert_refused(post(app, services, query, body), 403, services, simulator)


def test_a_message_inside_for_another_agent_is_403(app, services, simulator):
    query, body = seal(services, plaintext(agent_id="1000099"))
    assert_refused(post(app, services, query, body), 403, services, simulator)


def test_a_message_inside_for_another_corp_is_403(app, services, simulator):
    query, body = seal(services, plaintext(to_user="wwanothercorp0001"))
    assert_refused(post(app, services, query, body), 403, services, simulator)


def test_the_official_sample_sent_to_our_app_is_403(app, services, simulator):
    assert_refused(post(app, services, OFFICIAL_POST_QUERY, OFFICIAL_POST_BODY), 403,
                   services, simulator)


# --- POST: refused with 400 or 413 -------------------------------------------------------


@pytest.mark.parametrize("body", [
    b"<xml><ToUserName>wwtest0000000001</ToUserName><Encrypt>abc</Encrypt>",  # unclosed
    b"<xml><a></b></xml>",
    b"not xml at all",
    "<xml>\u4f60\u597d</xml>".encode("gbk"),  # not UTF-8, no declaration
], ids=["unclosed", "mismatched", "text", "gbk"])
def test_malformed_xml_is_400(app, services, simulator, body):
    query, _ = seal(services, plaintext())
    assert_refused(post(app, services, query, body), 400, services, simulator)


def test_a_root_other_than_xml_is_400(app, services, simulator):
    query, body = seal(services, plaintext())
    body = body.replace(b"<xml>", b"<message>").replace(b"</xml>", b"</message>")
    assert_refused(post(app, services, query, body), 400, services, simulator)


@pytest.mark.parametrize("body", [b"", b"   \r\n  "], ids=["empty", "blank"])
def test_an_empty_body_is_400(app, services, simulator, body):
    query, _ = seal(services, plaintext())
    assert_refused(post(app, services, query, body), 400, services, simulator)


@pytest.mark.parametrize("encrypt", ["", "<Encrypt></Encrypt>", "<Encrypt>   </Encrypt>"],
                         ids=["missing", "empty", "blank"])
def test_an_envelope_without_encrypt_is_400(app, services, simulator, encrypt):
    query, _ = seal(services, plaintext())
    body = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
            f"<AgentID>{AGENT_ID}</AgentID>{encrypt}</xml>").encode()
    assert_refused(post(app, services, query, body), 400, services, simulator)


def test_a_signed_envelope_around_undecryptable_text_is_400(app, services, simulator):
    from wechatpy.crypto import _get_signature

    encrypt = "bm90IGEgY2lwaGVydGV4dA=="
    query = {"timestamp": "1409659813", "nonce": "1372623149",
             "msg_signature": _get_signature(services.settings.wecom.token, "1409659813",
                                             "1372623149", encrypt)}
    body = (f"<xml><ToUserName>{CORP_ID}</ToUserName><AgentID>{AGENT_ID}</AgentID>"
            f"<Encrypt>{encrypt}</Encrypt></xml>").encode()
    assert_refused(post(app, services, query, body), 400, services, simulator)


@pytest.mark.parametrize("missing", ["msg_signature", "timestamp", "nonce"])
def test_a_callback_without_a_query_parameter_is_400(app, services, simulator, missing):
    query, body = seal(services, plaintext())
    del query[missing]
    assert_refused(post(app, services, query, body), 400, services, simulator)


def test_a_body_over_64_kib_is_413(app, services, simulator):
    query, body = seal(services, plaintext())
    padded = body.replace(b"</xml>", b" " * (65536 - len(body) + 1) + b"</xml>")
    assert len(padded) == 65537
    assert_refused(post(app, services, query, padded), 413, services, simulator)


def test_a_body_of_a_mebibyte_is_413(app, services, simulator):
    query, body = seal(services, plaintext())
    padded = body.replace(b"</xml>", b" " * 1048576 + b"</xml>")
    assert_refused(post(app, services, query, padded), 413, services, simulator)


def test_a_body_of_exactly_64_kib_is_read(app, services, simulator):
    query, body = seal(services, plaintext())
    padded = body.replace(b"</xml>", b" " * (65536 - len(body)) + b"</xml>")
    assert len(padded) == 65536
    assert post(app, services, query, padded).status_code == 200
    assert table_counts(services)["inbound_messages"] == 1


def test_a_streamed_body_over_64_kib_without_content_length_is_413(app, services, simulator):
    query, body = seal(services, plaintext())
    padded = body.replace(b"</xml>", b" " * 200_000 + b"</xml>")
    response = app.test_client().post(
        "/wecom/callback", query_string=query, input_stream=io.BytesIO(padded),
        content_type="application/xml", environ_overrides={"wsgi.input_terminated": True})
    assert_refused(response, 413, services, simulator)


def test_a_billion_laughs_body_is_400_and_nothing_is_expanded(app, services, simulator):
    query, _ = seal(services, plaintext())
    response = post(app, services, query, BILLION_LAUGHS)
    assert_refused(response, 400, services, simulator)
    assert b"lol" not in response.get_data()


def test_a_dtd_inside_the_encrypted_message_is_400(app, services, simulator):
    inner = plaintext(content="&lol3;").replace("&amp;lol3;", "&lol3;")
    plain = BILLION_LAUGHS.decode().split("<xml>")[0] + inner
    assert "<!ENTITY" in plain and "&lol3;" in plain
    query, body = seal(services, plain)
    assert_refused(post(app, services, query, body), 400, services, simulator)


def test_an_external_entity_inside_the_encrypted_message_is_400(app, services, simulator):
    inner = plaintext(content="&xxe;").replace("&amp;xxe;", "&xxe;")
    plain = '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + inner
    query, body = seal(services, plain)
    assert_refused(post(app, services, query, body), 400, services, simulator)


def test_a_decrypted_message_without_from_user_is_400(app, services, simulator):
    query, body = seal(services, plaintext(user=None))
    assert_refused(post(app, services, query, body), 400, services, simulator)


@pytest.mark.parametrize("plain", [
    "<xml><ToUserName>wwtest0000000001</ToUserName><FromUserName>zhang3</FromUserName></xml>",
    "<message><MsgType>text</MsgType></message>",
    "<xml>",
    "hello",
    "<xml></xml>",
], ids=["no-msgtype", "other-root", "unclosed", "text", "empty"])
def test_a_decrypted_message_that_is_not_a_message_is_400(app, services, simulator, plain):
    query, body = seal(services, plain)
    assert_refused(post(app, services, query, body), 400, services, simulator)


def test_a_decrypted_message_with_a_non_numeric_agent_id_is_400(app, services, simulator):
    query, body = seal(services, plaintext(agent_id="abc"))
    assert_refused(post(app, services, query, body), 400, services, simulator)


# --- what must not be refused, and what must --------------------------------------------


def cdata_plaintext(content: str, user: str = "zhang3") -> str:
    """A decrypted text message as WeCom writes it: every value in CDATA."""
    return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
            f"<FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>7000000000000000099</MsgId>"
            f"<AgentID>{AGENT_ID}</AgentID></xml>")


@pytest.mark.parametrize("content", ["请问<!重要>补贴", "<!DOCTYPE 是什么意思", "a]]b<!--c"])
def test_text_with_markup_like_characters_is_answered(app, services, simulator, content):
    query, body = seal(services, cdata_plaintext(content.replace("]]>", "")))
    response = post(app, services, query, body)
    assert response.status_code == 200
    assert table_counts(services)["inbound_messages"] == 1


def test_a_dtd_outside_cdata_is_still_400(app, services, simulator):
    plain = "<!DOCTYPE xml>" + cdata_plaintext("你好")
    query, body = seal(services, plain)
    assert_refused(post(app, services, query, body), 400, services, simulator)


@pytest.mark.parametrize("nested, status", [(14, 200), (15, 400)])
def test_elements_nested_up_to_16_deep_are_read_and_17_refused(app, services, simulator,
                                                                nested, status):
    """<xml> is level 1 and <Extra> level 2: 14 elements inside it reach 16, the limit."""
    inner = "<a>" * nested + "x" + "</a>" * nested
    plain = cdata_plaintext("你好").replace("</xml>", f"<Extra>{inner}</Extra></xml>")
    query, body = seal(services, plain)
    response = post(app, services, query, body)
    if status == 400:
        assert_refused(response, 400, services, simulator)
    else:
        assert response.status_code == 200
        assert table_counts(services)["inbound_messages"] == 1


def test_an_envelope_nested_17_deep_is_400(app, services, simulator):
    query, body = seal(services, plaintext())
    body = body.replace(b"</xml>", b"<Extra>" + b"<a>" * 15 + b"</a>" * 15 + b"</Extra></xml>")
    assert_refused(post(app, services, query, body), 400, services, simulator)


def test_deeply_nested_elements_are_400_not_500(app, services, simulator):
    inner = "<a>" * 2000 + "x" + "</a>" * 2000
    plain = cdata_plaintext("你好").replace("</xml>", f"<Extra>{inner}</Extra></xml>")
    query, body = seal(services, plain)
    assert_refused(post(app, services, query, body), 400, services, simulator)


@pytest.mark.parametrize("minutes", [-11, 11, -60])
def test_a_timestamp_over_ten_minutes_from_our_clock_is_403_and_logged(
        app, services, simulator, monkeypatch, caplog, minutes):
    from bot import webhook

    query, body = seal(services, plaintext())
    monkeypatch.setattr(webhook, "server_time", lambda: int(query["timestamp"]) - minutes * 60)
    assert_refused(post(app, services, query, body), 403, services, simulator)
    assert f"differs from our clock by {minutes * 60} s" in caplog.text


def test_a_timestamp_nine_minutes_old_is_accepted(app, services, simulator, monkeypatch):
    from bot import webhook

    query, body = seal(services, plaintext())
    monkeypatch.setattr(webhook, "server_time", lambda: int(query["timestamp"]) + 9 * 60)
    assert post(app, services, query, body).status_code == 200


# --- the front door: callbacks are answered before Flask (bot/webhook.py CallbackApp) ----


def test_a_callback_answer_carries_no_cookie_and_its_own_headers(app, services, simulator):
    """The callback never goes through the console's session, login or CSRF machinery."""
    query, body = seal(services, plaintext())
    response = post(app, services, query, body)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert int(response.headers["Content-Length"]) == len(response.get_data()) > 0
    assert "Set-Cookie" not in response.headers


def test_a_defect_while_answering_is_a_logged_500_with_nothing_in_it(app, services, simulator,
                                                                    monkeypatch, caplog):
    def broken(incoming: Any) -> str:
        raise RuntimeError("a defect")

    monkeypatch.setattr(services.pipeline, "handle", broken)
    query, body = seal(services, plaintext())
    response = post(app, services, query, body)
    assert (response.status_code, response.get_data()) == (500, b"")
    assert any(r.getMessage() == "callback failed" and r.exc_info for r in caplog.records)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_on_the_callback_are_405_and_write_nothing(app, services, simulator,
                                                                  method):
    query, body = seal(services, plaintext())
    response = app.test_client().open("/wecom/callback", method=method, query_string=query,
                                      data=body)
    assert response.status_code == 405
    assert table_counts(services) == NOTHING


def test_a_repeated_query_parameter_counts_by_its_first_value(app, services, simulator):
    """As Flask's `args.get` read it: a second msg_signature after the real one changes
    nothing, one before it is the one checked (403)."""
    query, body = seal(services, plaintext())
    first = "&".join(f"{k}={v}" for k, v in query.items())
    response = app.test_client().post(f"/wecom/callback?{first}&msg_signature=forged",
                                      data=body, content_type="application/xml")
    services.pipeline.wait_idle()
    assert response.status_code == 200
    forged = app.test_client().post(f"/wecom/callback?msg_signature=forged&{first}",
                                    data=body, content_type="application/xml")
    assert forged.status_code == 403
