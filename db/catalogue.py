"""The service catalogue: list, add, edit, retire, and seed it from db/seed/services.toml.

Query functions take the session first and never commit (the caller owns the transaction).
A retired service takes no new bookings; its existing bookings stand.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Service

SEED_FILE = Path(__file__).resolve().parent / "seed" / "services.toml"
FIELDS = ("name", "description", "audience", "modes", "place", "accessibility", "bring",
          "source", "keywords")
MODES = ("在窗口", "上门", "电话", "视频")


class CatalogueError(ValueError):
    """A service field is missing or not acceptable; the message is one line in Chinese (what
    is wrong, what to do); `field` names the form field it is about, when there is one."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def list_services(session: Session, *, include_retired: bool = False) -> Sequence[Service]:
    """The services, in catalogue order; retired ones only when asked."""
    stmt = select(Service).order_by(Service.id)
    if not include_retired:
        stmt = stmt.where(Service.retired_at.is_(None))
    return session.scalars(stmt).all()


def get_service(session: Session, service_id: int) -> Service:
    """The service `service_id`; CatalogueError when there is none."""
    service = session.get(Service, service_id)
    if service is None:
        raise CatalogueError(f"没有编号为 {service_id} 的服务，请在服务目录里查看编号")
    return service


def _clean(values: dict[str, Any]) -> dict[str, str]:
    clean = {}
    for key, value in values.items():
        if key not in FIELDS or value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = "、".join(str(v).strip() for v in value if str(v).strip())
        value = str(value).strip()
        if key == "modes":
            unknown = [m for m in value.replace(",", "、").split("、") if m and m not in MODES]
            if unknown:
                raise CatalogueError(f"办理方式“{unknown[0]}”不认识，只能是{'、'.join(MODES)}，"
                                     "多个用顿号分开", "modes")
            value = "、".join(m for m in value.replace(",", "、").split("、") if m)
        if key == "name" and not 1 <= len(value) <= 64:
            raise CatalogueError("请填写服务名称，最多 64 个字", "name")
        clean[key] = value
    return clean


def add_service(session: Session, *, code: str, now: datetime, **values: Any) -> Service:
    """A new service (`name` required); CatalogueError for a bad field or a taken code."""
    clean = _clean(values)
    if not clean.get("name"):
        raise CatalogueError("请填写服务名称", "name")
    if not code or session.scalar(select(Service.id).where(Service.code == code)) is not None:
        raise CatalogueError(f"编号“{code}”已被别的服务使用，请换一个" if code else
                             "请填写编号（小写英文和连字符，如 job-club）", "code")
    service = Service(code=code, created_at=now, **{f: "" for f in FIELDS})
    for key, value in clean.items():
        setattr(service, key, value)
    session.add(service)
    session.flush()
    return service


def edit_service(session: Session, service_id: int, **values: Any) -> Service:
    """Change the given fields of a service (None leaves a field as it is)."""
    service = get_service(session, service_id)
    for key, value in _clean(values).items():
        setattr(service, key, value)
    session.flush()
    return service


def retire_service(session: Session, service_id: int, *, now: datetime) -> Service:
    """Take a service out of booking (its existing bookings stand)."""
    service = get_service(session, service_id)
    if service.retired_at is None:
        service.retired_at = now
    return service


def seed_services(session: Session, *, now: datetime, path: Path = SEED_FILE) -> int:
    """Add the seed file's services whose code is not in the catalogue yet; how many were added.

    Idempotent: a service staff edited or retired is left as it is.
    """
    entries = tomllib.loads(path.read_text(encoding="utf-8"))["service"]
    known = set(session.scalars(select(Service.code)).all())
    added = 0
    for entry in entries:
        if entry["code"] in known:
            continue
        add_service(session, now=now, **entry)
        added += 1
    return added


def keywords_of(service: Service) -> list[str]:
    """The words that name the service in a message, longest first."""
    words = {service.name, *[k for k in service.keywords.split("、") if k]}
    return sorted(words, key=len, reverse=True)


def find_service(session: Session, text: str) -> Service | None:
    """The one open service the text names ("我想约个职业能力评估"), or None."""
    best: tuple[int, Service] | None = None
    for service in list_services(session):
        hit = max((len(k) for k in keywords_of(service) if k in text), default=0)
        if hit and (best is None or hit > best[0]):
            best = (hit, service)
    return best[1] if best else None
