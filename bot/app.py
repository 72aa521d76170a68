"""The Flask application factory: settings → services → blueprints. Nothing connects at import."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from flask import Flask, Response, current_app, jsonify

from bot.services import Services, build_services
from bot.settings import Settings, load_settings, settings_from_mapping
from db.migrate import check_current
from db.outbox import outbox_health
from db.session import read_connection


def create_app(config: Settings | Mapping[str, Any] | str | Path | None = None,
               services: Services | None = None) -> Flask:
    """Build the app from Settings, a settings mapping, a TOML path, or (None) BOT_CONFIG."""
    if services is None:
        services = build_services(_settings(config))
        try:
            check_current(services.engine)  # refuse to serve an unmigrated database
        except Exception:
            services.engine.dispose()
            raise
    settings = services.settings
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.bot.max_body_bytes * 4  # the webhook checks 64 KiB
    app.extensions["bot"] = services

    from bot import webhook
    app.register_blueprint(webhook.blueprint)  # the URL verification (GET)
    app.wsgi_app = webhook.CallbackApp(services, app.wsgi_app)  # type: ignore[method-assign]
    app.add_url_rule("/healthz", "healthz", healthz)
    from bot.admin import init_console
    init_console(app)
    if settings.bot.demo:
        from bot import demo
        from bot.simulator import SimulatorState, simulator_blueprint

        state = SimulatorState(settings.wecom.corp_id, settings.wecom.secret)
        services.extras["simulator"] = state
        app.register_blueprint(simulator_blueprint(state), url_prefix="/simulator")
        app.register_blueprint(demo.blueprint)
    return app


def _settings(config: Settings | Mapping[str, Any] | str | Path | None) -> Settings:
    if isinstance(config, Settings):
        return config
    if isinstance(config, Mapping):
        return settings_from_mapping(config)
    return load_settings(config)


def healthz() -> Response | tuple[Response, int]:
    """200 with {"status": "ok"} and the outbox's state when the database answers, else 503.

    `outbox`: messages waiting, the age of the oldest in seconds, and those WeCom refused for
    good in the last 24 hours (a staff notice among them is also logged at WARNING).
    """
    services: Services = current_app.extensions["bot"]
    try:
        with read_connection(services.engine) as connection:
            outbox = outbox_health(connection, services.clock())
    except Exception:
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok", demo=services.settings.bot.demo,
                   kb_entries=len(services.kb.entries) if services.kb else 0, outbox=outbox)
