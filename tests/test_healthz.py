"""GET /healthz: 200 {"status": "ok"} when the database answers, 503 when it does not."""

from __future__ import annotations

import pytest

from db.session import make_engine

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"


def test_healthz_is_ok_when_the_database_answers(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"


def test_healthz_is_503_when_the_database_is_unreachable(app, services, monkeypatch):
    unreachable = make_engine(UNREACHABLE)
    monkeypatch.setattr(services, "engine", unreachable)
    try:
        response = app.test_client().get("/healthz")
    finally:
        unreachable.dispose()
    assert response.status_code == 503
    assert response.json["status"] != "ok"


def test_healthz_recovers_when_the_database_is_back(app, services, monkeypatch):
    real, unreachable = services.engine, make_engine(UNREACHABLE)
    with monkeypatch.context() as patched:
        patched.setattr(services, "engine", unreachable)
        assert app.test_client().get("/healthz").status_code == 503
    unreachable.dispose()
    assert services.engine is real
    assert app.test_client().get("/healthz").status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_answers_only_get(app, method):
    assert getattr(app.test_client(), method)("/healthz").status_code == 405
