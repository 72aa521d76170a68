"""The floor of this stack: verify, decrypt, parse and echo under gunicorn, nothing else.

`create_bare_app()` does it with wechatpy (WeChatCrypto, parse_message, TextReply), as the
issue's bench was first defined. The bot does the same steps its own way: ElementTree for
both XML documents and `CallbackCrypto` (the same bytes, fewer objects per message).
`create_bare_app(lean=True)` is the floor done that way, so that the bench can say how much
of the bot's ratio comes from those alone.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

from flask import Flask, Response, request
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.replies import TextReply

from bench.harness import AES_KEY, CORP_ID, TOKEN
from bot.callback_crypto import CallbackCrypto, text_reply


def create_bare_app(lean: bool = False) -> Flask:
    """A Flask app that echoes every text back as an encrypted passive reply."""
    app = Flask("bare")
    crypto = (CallbackCrypto if lean else WeChatCrypto)(TOKEN, AES_KEY, CORP_ID)

    @app.post("/wecom/callback")
    def callback() -> Response:
        args = request.args
        if lean:
            envelope = {"Encrypt": ET.fromstring(request.get_data()).findtext("Encrypt") or ""}
            message = ET.fromstring(crypto.decrypt_message(
                envelope, args["msg_signature"], args["timestamp"], args["nonce"]))
            reply = text_reply(CORP_ID, message.findtext("FromUserName") or "",
                               message.findtext("Content") or "", int(time.time()))
        else:
            parsed = parse_message(crypto.decrypt_message(
                request.get_data(), args["msg_signature"], args["timestamp"], args["nonce"]))
            reply = TextReply(source=CORP_ID, target=parsed.source,
                              content=getattr(parsed, "content", "")).render()
        return Response(crypto.encrypt_message(reply, args["nonce"], args["timestamp"]),
                        mimetype="application/xml")

    return app
