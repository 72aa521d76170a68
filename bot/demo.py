"""The demo chat page (`/demo/`, demo mode only): chat with the bot as a WeCom member would,
or as a resident on plain WeChat through 微信客服.

Each message the page sends is encrypted and signed as WeCom does and posted to the real
`/wecom/callback`; the page shows the passive reply and polls the simulator for what the bot
sent through `message/send`.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request

from bot.simulator import WeComPeer
from bot.simulator_kf import kf_callback

blueprint = Blueprint("demo", __name__, url_prefix="/demo", template_folder="templates")

DEMO_USERS = (("resident01", "残疾人求职者 张先生"), ("family01", "家属 李阿姨（替孩子咨询）"),
              ("employer01", "企业人事 王经理"), ("demostaff01", "区残联工作人员"),
              ("wechat:wmDemoCustomer01", "微信用户 赵女士（普通微信，经微信客服）"))
DEMO_KFID = "wkDemoKf0000000000000000000001"
WECHAT = "wechat:"  # a demo identity on plain WeChat: its messages go through 微信客服


def _peer() -> WeComPeer:
    w = current_app.extensions["bot"].settings.wecom
    return WeComPeer(w.token, w.encoding_aes_key, w.corp_id, w.agent_id)


@blueprint.get("/")
def page() -> str:
    """The chat page."""
    return render_template("demo.html", users=DEMO_USERS)


@blueprint.post("/api/send")
def send():  # type: ignore[no-untyped-def]
    """Post one message (or event) from the page through the encrypted callback."""
    body = request.get_json(force=True, silent=True) or {}
    user = str(body.get("user") or "resident01")[:64]
    peer = _peer()
    if user.startswith(WECHAT):
        return _send_as_customer(user[len(WECHAT):], body, peer)
    if body.get("event"):
        query, payload = peer.event(user, str(body["event"]), str(body.get("key") or ""))
    else:
        query, payload = peer.text(user, str(body.get("text") or "")[:2000])
    response = current_app.test_client().post(f"/wecom/callback?{query}", data=payload,
                                              content_type="application/xml")
    passive = peer.read_reply(response.get_data()) if response.status_code == 200 else ""
    return jsonify(status=response.status_code, passive=passive)


def _send_as_customer(external_userid: str, body: dict,  # type: ignore[no-untyped-def]
                      peer: WeComPeer):
    """A WeChat customer: the simulator queues the message (or enter_session), then WeCom's
    kf_msg_or_event callback goes to the webhook; the answers come by kf/send_msg."""
    services = current_app.extensions["bot"]
    kf = services.extras["simulator"].kf
    if body.get("event"):
        kf.event(DEMO_KFID, external_userid, "enter_session")
    else:
        kf.customer_says(DEMO_KFID, external_userid, str(body.get("text") or "")[:2000])
    query, payload = kf_callback(peer, services.settings.wecom.corp_id, DEMO_KFID,
                                 kf.new_token())
    response = current_app.test_client().post(f"/wecom/callback?{query}", data=payload,
                                              content_type="application/xml")
    return jsonify(status=response.status_code, passive="")
