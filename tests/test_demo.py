"""The demo page and the simulator exist only in demo mode, and the page uses the real callback."""

from bot.app import create_app
from bot.services import build_services
from tests.conftest import make_settings


def test_without_demo_mode_there_is_no_demo_page_and_no_simulator(app):
    client = app.test_client()
    assert client.get("/demo/").status_code == 404
    assert client.get("/simulator/cgi-bin/gettoken").status_code == 404


def test_the_demo_page_sends_through_the_encrypted_callback(database, knowledge_base):
    settings = make_settings(database, "http://127.0.0.1:1", bot={"demo": True})
    services = build_services(settings, kb=knowledge_base)
    client = create_app(services=services).test_client()
    page = client.get("/demo/")
    assert page.status_code == 200 and "消息" in page.get_data(as_text=True)
    response = client.post("/demo/api/send", json={"user": "family01", "text": "你好"})
    services.pipeline.wait_idle()
    assert response.get_json()["status"] == 200
    assert response.get_json()["passive"].startswith("您好")
    assert client.get("/simulator/messages?user=family01").get_json() == []
    services.engine.dispose()
