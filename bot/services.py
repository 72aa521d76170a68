"""Everything a request, a job or a command needs, built once per process from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.callback_crypto import CallbackCrypto
from bot.logs import hide
from bot.pipeline import Pipeline
from bot.router import Router
from bot.sender import Sender
from bot.settings import Settings
from bot.wecom import DatabaseTokenStore, WeComClient
from db.crypto import FieldCipher, set_field_cipher
from db.session import make_engine, make_sessions
from db.types import utcnow


@dataclass
class Services:
    """The process's shared objects (kept in `app.extensions["bot"]` by the web app)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    crypto: CallbackCrypto
    client: WeComClient
    sender: Sender
    cipher: FieldCipher
    kb: Any = None
    router: Router | None = None
    pipeline: Pipeline | None = None
    clock: Callable = utcnow
    kf: Any = None  # bot.kf.KfChannel: the 微信客服 channel
    extras: dict[str, Any] = field(default_factory=dict)


def build_services(settings: Settings, *, with_bot: bool = True, kb: Any = None) -> Services:
    """Connect the pieces; `with_bot` also loads the knowledge base (unless given) and router."""
    w = settings.wecom
    hide(w.secret, w.token, w.encoding_aes_key, settings.security.data_key)  # from every log
    engine = make_engine(settings.database.url)
    sessions = make_sessions(engine)
    client = WeComClient(w.corp_id, w.secret, w.agent_id, w.api_base, w.timeout_seconds,
                         DatabaseTokenStore(sessions))
    cipher = FieldCipher(settings.security.data_key)
    set_field_cipher(cipher)
    services = Services(settings=settings, engine=engine, sessions=sessions,
                        crypto=CallbackCrypto(w.token, w.encoding_aes_key, w.corp_id),
                        client=client, sender=Sender(client, sessions, staff=w.handoff_staff),
                        cipher=cipher)
    services.sender.clock = lambda: services.clock()  # one clock: replacing it moves both
    from bot.kf_send import KfDelivery

    services.sender.kf = KfDelivery(client, sessions, lambda: services.clock())
    if with_bot:
        from pathlib import Path

        from db.knowledge import knowledge_version
        from handlers import build_router
        from knowledge.live import LiveKnowledge

        folder = Path(settings.console.knowledge_dir) if settings.console.knowledge_dir else None
        services.kb = LiveKnowledge(kb, lambda: knowledge_version(engine), folder=folder)
        services.router = build_router()
        services.pipeline = Pipeline(services)
        from bot.kf import KfChannel

        services.kf = KfChannel(services)
    return services
