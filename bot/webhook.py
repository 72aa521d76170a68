"""`/wecom/callback`: URL verification (GET) and encrypted callbacks (POST). HTTP only.

The callbacks are answered by `CallbackApp`, plain WSGI in front of the Flask app (every
message comes this way; see its docstring); the URL verification is a Flask view.

Callback configuration: https://developer.work.weixin.qq.com/document/path/90930
Encryption: https://developer.work.weixin.qq.com/document/path/90968
Passive replies: https://developer.work.weixin.qq.com/document/path/90241

Refusals write nothing: a bad signature, a foreign CorpID/AgentID or a timestamp more than
10 minutes from our clock (a replay) is 403, a malformed body or envelope 400, a body over
the limit 413. A body with a DTD or entity declaration (any `<!` markup outside CDATA) is
refused before any XML parser sees it, so nothing is ever expanded; a person's text, which
WeCom sends in CDATA, may contain "<!" freely. Elements nested deeper than WeCom ever
nests are refused (400) before anything recurses into them.
"""

from __future__ import annotations

import logging
import re
import socket
import time
import xml.etree.ElementTree as ET
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple
from urllib.parse import parse_qsl

from flask import Blueprint, Response, current_app, request
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.callback_crypto import text_reply
from bot.kf import KfNotice, parse_notice
from bot.messages import Incoming, MalformedMessage
from bot.pipeline import NotRecorded

log = logging.getLogger(__name__)
blueprint = Blueprint("webhook", __name__)

CDATA = re.compile(rb"<!\[CDATA\[.*?\]\]>", re.DOTALL)  # text content: may hold anything
FORBIDDEN_MARKUP = re.compile(rb"<!")  # outside CDATA: DOCTYPE, ENTITY, ELEMENT, comments
MAX_DEPTH = 16  # WeCom's callbacks nest 3 or 4 deep
MAX_CLOCK_SKEW = 600  # seconds between WeCom's timestamp and ours
AUTH_ERRORS = (InvalidSignatureException, InvalidCorpIdException)
CALLBACK_PATH = "/wecom/callback"
STATUS_LINES = {200: "200 OK", 400: "400 BAD REQUEST", 403: "403 FORBIDDEN",
                413: "413 REQUEST ENTITY TOO LARGE", 500: "500 INTERNAL SERVER ERROR",
                503: "503 SERVICE UNAVAILABLE"}
EMPTY_HEADERS = (("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "0"))


class Refused(Exception):
    """The callback is refused with `status`; `reason` goes to the log only."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@blueprint.errorhandler(Refused)
def _refused(exc: Refused) -> Response:
    _log_refusal(exc)
    return Response("", status=exc.status)


def _log_refusal(exc: Refused) -> None:
    log.warning("callback refused status=%s reason=%s", exc.status, exc.reason)


def _query(args: Mapping[str, str], *names: str) -> list[str]:
    values = [args.get(name, "") for name in names]
    if not all(values) or any(len(v) > 4096 for v in values):
        raise Refused(400, "query parameters missing")
    return values


@blueprint.get(CALLBACK_PATH)
def verify_url() -> Response:
    """Answer WeCom's URL verification with the bare decrypted echostr."""
    signature, timestamp, nonce, echostr = _query(request.args, "msg_signature", "timestamp",
                                                  "nonce", "echostr")
    crypto = current_app.extensions["bot"].crypto
    try:
        plain = crypto.check_signature(signature, timestamp, nonce, echostr)
    except AUTH_ERRORS as exc:
        raise Refused(403, type(exc).__name__) from None
    except Exception as exc:  # undecodable echostr
        raise Refused(400, type(exc).__name__) from None
    return Response(plain, mimetype="text/plain")


class CallbackApp:
    """POST /wecom/callback as plain WSGI in front of the Flask app; everything else (URL
    verification, /healthz, the console, the demo) goes on to Flask.

    Every message comes this way, and it needs nothing of Flask's request handling: no
    routing, no request or app context, no session, no login, no CSRF check. Under load those
    cost the bot about a fifth of its CPU per message (`make bench`), so the callback is
    answered here directly: the same checks, statuses and bodies as before, in the same
    order (the tests post through the Flask app, so they come this way too).
    """

    def __init__(self, services: Any, flask_wsgi: Callable[..., Iterable[bytes]]) -> None:
        self.services, self.flask_wsgi = services, flask_wsgi

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != CALLBACK_PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.flask_wsgi(environ, start_response)
        try:
            answered = receive(self.services, environ)
        except Refused as exc:
            _log_refusal(exc)
            answered = Answered(exc.status)
        except Exception:  # a defect: logged with its traceback, answered 500 as Flask would
            log.exception("callback failed")
            answered = Answered(500)
        if answered.body is None:
            start_response(STATUS_LINES[answered.status], [*EMPTY_HEADERS])
            return [b""]
        start_response("200 OK", [("Content-Type", "application/xml; charset=utf-8"),
                                  ("Content-Length", str(len(answered.body)))])
        return _written_or_lost(answered.body, answered.lost)


class Answered(NamedTuple):
    """A callback's answer: its status, and the encrypted passive reply if there is one,
    with what to do if the connection fails before it is written."""

    status: int
    body: bytes | None = None
    lost: Callable[[], None] = lambda: None


def receive(services: Any, environ: dict[str, Any]) -> Answered:
    """Verify, decrypt and parse a callback; answer passively or with an empty 200."""
    args = _query_args(environ.get("QUERY_STRING", ""))
    incoming = _decrypt(services, args, _read_body(environ, services.settings.bot.max_body_bytes))
    if isinstance(incoming, KfNotice):  # 微信客服: recorded, then pulled in the background
        services.kf.accept(incoming)
        return Answered(200)
    try:
        text = services.pipeline.handle(incoming)
    except NotRecorded:  # not acknowledged: WeCom delivers it again
        log.warning("callback not recorded in time: answered 503 so that WeCom retries")
        return Answered(503)
    if not text:
        return Answered(200)
    if _connection_gone(environ):  # WeCom gave up waiting: the reply goes by message/send
        services.pipeline.passive_reply_lost(incoming)
        return Answered(200)
    reply = text_reply(services.settings.wecom.corp_id, incoming.user_id, text, int(time.time()))
    body = services.crypto.encrypt_message(reply, args["nonce"], args["timestamp"]).encode()
    return Answered(200, body, lambda: services.pipeline.passive_reply_lost(incoming))


def _connection_gone(environ: dict[str, Any]) -> bool:
    """Has WeCom closed the connection this request came on (its client timed out)?

    WeCom sends nothing more before it reads our response, so a readable socket that yields
    no bytes is one the peer has closed. Without a socket to look at (the test client), or
    one that cannot be peeked at (TLS), the connection counts as open.
    """
    sock = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
    if sock is None:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):  # open, nothing to read: the normal case
        return False
    except (ValueError, TypeError, AttributeError):  # not a plain socket
        return False
    except OSError:  # reset by the peer
        return True


def _written_or_lost(body: bytes, lost: Callable[[], None]) -> Iterator[bytes]:
    """The response body; `lost` runs if the server could not write it (the write failed
    and the server closed the response without asking for more)."""
    try:
        yield body
    except GeneratorExit:
        lost()
        raise


def _read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The body, at most `limit` bytes (413 beyond), as werkzeug would stream it: by its
    Content-Length, or to its end when the server has de-chunked it; else empty."""
    try:
        length: int | None = max(0, int(environ.get("CONTENT_LENGTH") or ""))
    except ValueError:
        length = None
    if length is not None and length > limit:
        raise Refused(413, "body over the limit")
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):
        body = stream.read(limit + 1)
    else:
        body = stream.read(length) if length else b""
    if len(body) > limit:
        raise Refused(413, "body over the limit")
    if not body.strip():
        raise Refused(400, "empty body")
    return body


def _query_args(query: str) -> dict[str, str]:
    """The query string's parameters, the first value of each name (as Flask's `args.get`)."""
    args: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        args.setdefault(name, value)
    return args


def server_time() -> float:
    """Our clock, in seconds since the epoch (tests move it)."""
    return time.time()


def _check_timestamp(timestamp: str) -> None:
    """A callback signed more than 10 minutes from now is refused: a captured request cannot
    be replayed once its de-duplication key is purged."""
    try:
        skew = int(timestamp) - int(server_time())
    except ValueError:
        raise Refused(400, "timestamp is not a number") from None
    if abs(skew) > MAX_CLOCK_SKEW:
        raise Refused(403, f"timestamp differs from our clock by {skew} s")


def _decrypt(services, args: Mapping[str, str],  # type: ignore[no-untyped-def]
             body: bytes) -> Incoming | KfNotice:
    signature, timestamp, nonce = _query(args, "msg_signature", "timestamp", "nonce")
    settings = services.settings.wecom
    envelope = _parse_xml(body)
    encrypted = (envelope.findtext("Encrypt") or "").strip()
    if not encrypted:
        raise Refused(400, "no Encrypt element")
    _check_addressee(envelope.findtext("ToUserName"), envelope.findtext("AgentID"), settings)
    try:  # the envelope parsed once: wechatpy checks the signature of its Encrypt and decrypts
        plain = services.crypto.decrypt_message({"Encrypt": encrypted}, signature, timestamp,
                                                nonce)
    except AUTH_ERRORS as exc:
        raise Refused(403, type(exc).__name__) from None
    except Exception as exc:  # bad base64, padding, length
        raise Refused(400, f"undecryptable: {type(exc).__name__}") from None
    _check_timestamp(timestamp)  # signed by WeCom, so the time is WeCom's: a replay if old
    plain_bytes = plain.encode() if isinstance(plain, str) else plain
    document = _parse_xml(plain_bytes)  # same checks for the inner document
    try:
        notice = parse_notice(document)
    except ValueError as exc:
        raise Refused(400, f"malformed kf callback: {exc}") from None
    if notice is not None:
        return notice
    try:
        incoming = Incoming.from_element(document)
    except MalformedMessage as exc:
        raise Refused(400, f"malformed message: {exc}") from None
    _check_addressee(incoming.to_user,
                     None if incoming.agent_id is None else str(incoming.agent_id), settings)
    return incoming


def _parse_xml(data: bytes) -> ET.Element:
    if FORBIDDEN_MARKUP.search(CDATA.sub(b"", data)):
        raise Refused(400, "DTD, entity or comment in XML")
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError):
        raise Refused(400, "not well-formed XML") from None
    if root.tag != "xml":
        raise Refused(400, "root element is not <xml>")
    if _too_deep(root):
        raise Refused(400, "elements nested too deep")
    return root


def _too_deep(root: ET.Element) -> bool:
    """Do the elements nest deeper than MAX_DEPTH? Level by level, without recursion and no
    further down than the limit; a callback's fields have no children: two short steps."""
    level = [root]
    for _ in range(MAX_DEPTH):
        level = [child for element in level for child in element]
        if not level:
            return False
    return True


def _check_addressee(to_user: str | None, agent_id: str | None, settings) -> None:  # type: ignore[no-untyped-def]
    """Callbacks without AgentID are accepted when ToUserName is ours."""
    if (to_user or "").strip() != settings.corp_id:
        raise Refused(403, "ToUserName is not our CorpID")
    if agent_id not in (None, "") and agent_id.strip() != str(settings.agent_id):
        raise Refused(403, "AgentID is not ours")
