"""The floor of this stack: verify, decrypt, parse and echo under gunicorn, nothing else."""

from __future__ import annotations

from flask import Flask, Response, request
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.replies import TextReply

from bench.harness import AES_KEY, CORP_ID, TOKEN


def create_bare_app() -> Flask:
    """A Flask app that echoes every text back as an encrypted passive reply."""
    app = Flask("bare")
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)

    @app.post("/wecom/callback")
    def callback() -> Response:
        args = request.args
        xml = crypto.decrypt_message(request.get_data(), args["msg_signature"],
                                     args["timestamp"], args["nonce"])
        message = parse_message(xml)
        reply = TextReply(source=CORP_ID, target=message.source,
                          content=getattr(message, "content", "")).render()
        return Response(crypto.encrypt_message(reply, args["nonce"], args["timestamp"]),
                        mimetype="application/xml")

    return app
