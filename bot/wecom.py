"""wechatpy's WeCom client, corrected for a multi-process bot.

wechatpy 1.8.18 hard-codes the WeCom host in the token fetch and the media download, retries
40001/40014/42001 without limit and has no default timeout. This subclass points every call at
`api_base`, times out every HTTP call, refreshes the token at most once per call, and keeps the
token in the shared database so that all workers and the scheduler use one.

gettoken: https://developer.work.weixin.qq.com/document/path/91039
media/get: https://developer.work.weixin.qq.com/document/path/90254
"""

from __future__ import annotations

import copy
import logging
import threading
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from bot.logs import hide
from db.models import AccessToken
from db.session import read_session
from db.types import utcnow

log = logging.getLogger(__name__)

TOKEN_REFRESH_MARGIN = timedelta(minutes=5)
TOKEN_ERRORS = (40014, 42001)  # invalid / expired access_token: refresh once and retry


class DatabaseTokenStore(SessionStorage):
    """wechatpy session storage for the access token, in the `access_tokens` table.

    Each process keeps the token it read in memory until the refresh margin, so a send does
    not read the database for it; a token WeCom rejects is forgotten in both places.
    """

    def __init__(self, sessions: sessionmaker[Session], clock: Callable = utcnow) -> None:
        self.sessions = sessions
        self.clock = clock
        self._known: dict[str, tuple[str, datetime]] = {}

    def get(self, key: str, default: Any = None) -> Any:
        """The token, unless it expires within the refresh margin."""
        known = self._known.get(key)
        if known is None:
            with read_session(self.sessions) as session:
                row = session.get(AccessToken, key)
                known = None if row is None else (row.token, row.expires_at)
        if known is None or known[1] - TOKEN_REFRESH_MARGIN <= self.clock():
            self._known.pop(key, None)
            return default
        self._known[key] = known
        return known[0]

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        """Store a freshly fetched token for `ttl` seconds."""
        hide(value)  # never in a log, wherever a library might print it
        expires_at = self.clock() + timedelta(seconds=ttl or 7200)
        try:
            self._store(key, value, expires_at)
        except IntegrityError:  # another worker stored the first token meanwhile: replace it
            self._store(key, value, expires_at)
        self._known[key] = (value, expires_at)

    def _store(self, key: str, value: Any, expires_at: datetime) -> None:
        with self.sessions.begin() as session:
            row = session.get(AccessToken, key)
            if row is None:
                session.add(AccessToken(key=key, token=value, expires_at=expires_at))
            else:
                row.token, row.expires_at = value, expires_at

    def delete(self, key: str) -> None:
        """Forget the token (WeCom said it is no longer valid)."""
        self._known.pop(key, None)
        with self.sessions.begin() as session:
            row = session.get(AccessToken, key)
            if row is not None:
                session.delete(row)


class WeComClient(WeChatClient):
    """The WeCom API at `api_base`, with timeouts and a shared, bounded token refresh."""

    def __init__(self, corp_id: str, secret: str, agent_id: int, api_base: str,
                 timeout: float, tokens: SessionStorage) -> None:
        super().__init__(corp_id, secret, session=tokens, timeout=timeout, auto_retry=False)
        self.agent_id = agent_id
        self.API_BASE_URL = f"{api_base.rstrip('/')}/cgi-bin/"
        self._fetch_lock = threading.Lock()

    @property
    def access_token_key(self) -> str:
        return f"{self.corp_id}:{self.agent_id}"

    @property
    def access_token(self) -> str:
        token = self.session.get(self.access_token_key)
        if token:
            return token
        with self._fetch_lock:  # one fetch per process; the database shares it with the others
            token = self.session.get(self.access_token_key)
            return token or self.fetch_access_token()["access_token"]

    def fetch_access_token(self) -> dict[str, Any]:
        """GET {api_base}/cgi-bin/gettoken, with a timeout; store the token for everyone."""
        response = self._http.get(f"{self.API_BASE_URL}gettoken", timeout=self.timeout,
                                  params={"corpid": self.corp_id, "corpsecret": self.secret})
        response.raise_for_status()
        result = response.json()
        if result.get("errcode", 0) != 0 or "access_token" not in result:
            raise WeChatClientException(result.get("errcode"), result.get("errmsg"), client=self)
        self.session.set(self.access_token_key, result["access_token"],
                         int(result.get("expires_in", 7200)))
        log.info("wecom token refreshed expires_in=%s", result.get("expires_in"))
        return result

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        try:
            return super()._request(method, url_or_endpoint, **copy.deepcopy(kwargs))
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            log.info("wecom token rejected errcode=%s: refreshing once", exc.errcode)
            self.session.delete(self.access_token_key)
            return super()._request(method, url_or_endpoint, **copy.deepcopy(kwargs))

    def download_media(self, media_id: str) -> tuple[bytes, str]:
        """GET media/get; WeCom answers errors as JSON with status 200, so check the type."""
        response = self._http.get(f"{self.API_BASE_URL}media/get", timeout=self.timeout,
                                  params={"access_token": self.access_token, "media_id": media_id})
        response.raise_for_status()
        content_type = response.headers.get("Content-Type", "")
        if content_type.startswith(("application/json", "text/plain")):
            result = response.json()
            raise WeChatClientException(result.get("errcode"), result.get("errmsg"), client=self)
        return response.content, content_type
