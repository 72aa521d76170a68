"""The floor of this stack: verify, decrypt, parse and echo under gunicorn, nothing else.

`create_bare_app()` does it with wechatpy (WeChatCrypto, parse_message, TextReply) in a
Flask view, as the issue's bench was first defined. The bot does the same steps its own way:
ElementTree for both XML documents, `CallbackCrypto` (the same bytes, fewer objects per
message), and the callback answered as plain WSGI in front of Flask (bot/webhook.py's
`CallbackApp`). `create_bare_app(lean=True)` is the floor done that way, so that the bench
can say how much of the bot's ratio comes from those alone.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Response, request
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.replies import TextReply

from bench.harness import AES_KEY, CORP_ID, TOKEN
from bot.callback_crypto import CallbackCrypto, text_reply


def create_bare_app(lean: bool = False) -> Flask:
    """A Flask app that echoes every text back as an encrypted passive reply."""
    app = Flask("bare")
    if lean:  # the callback as plain WSGI in front of Flask, as the bot answers it
        crypto = CallbackCrypto(TOKEN, AES_KEY, CORP_ID)
        app.wsgi_app = _LeanCallback(crypto, app.wsgi_app)  # type: ignore[method-assign]
        return app
    wechatpy_crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)

    @app.post("/wecom/callback")
    def callback() -> Response:
        args = request.args
        parsed = parse_message(wechatpy_crypto.decrypt_message(
            request.get_data(), args["msg_signature"], args["timestamp"], args["nonce"]))
        reply = TextReply(source=CORP_ID, target=parsed.source,
                          content=getattr(parsed, "content", "")).render()
        return Response(wechatpy_crypto.encrypt_message(reply, args["nonce"], args["timestamp"]),
                        mimetype="application/xml")

    return app


class _LeanCallback:
    """POST /wecom/callback without Flask: the lean floor's echo (see the module doc)."""

    def __init__(self, crypto: CallbackCrypto, flask_wsgi: Any) -> None:
        self.crypto, self.flask_wsgi = crypto, flask_wsgi

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO") != "/wecom/callback" or environ["REQUEST_METHOD"] != "POST":
            return self.flask_wsgi(environ, start_response)
        args = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        envelope = {"Encrypt": ET.fromstring(body).findtext("Encrypt") or ""}
        message = ET.fromstring(self.crypto.decrypt_message(
            envelope, args["msg_signature"], args["timestamp"], args["nonce"]))
        reply = text_reply(CORP_ID, message.findtext("FromUserName") or "",
                           message.findtext("Content") or "", int(time.time()))
        out = self.crypto.encrypt_message(reply, args["nonce"], args["timestamp"]).encode()
        start_response("200 OK", [("Content-Type", "application/xml; charset=utf-8"),
                                  ("Content-Length", str(len(out)))])
        return [out]
