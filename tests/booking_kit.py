"""Helpers for the booking tests: a fixed clock, the seeded catalogue, slots in local time."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from db.catalogue import seed_services
from db.models import Service
from db.slots import add_slot, local_start
from sqlalchemy import select

from tests.dialog import Clock

# Monday 2026-12-07 10:00 in Shanghai: a fixed "now" for every booking test.
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)



@pytest.fixture
def clock(services: Any) -> Clock:
    """The services' clock, fixed at NOW (tests move it)."""
    fixed = Clock(NOW)
    services.clock = fixed
    return fixed


@pytest.fixture
def catalogue(services: Any, clock: Clock) -> dict[str, int]:
    """The seed file's services in the test database: code → id."""
    with services.sessions.begin() as session:
        seed_services(session, now=clock())
        return dict(session.execute(select(Service.code, Service.id)).all())


def slot(services: Any, service_id: int, start: str, *, capacity: int = 10, minutes: int = 60,
         place: str = "河北区残联服务大厅（一楼，无台阶）") -> int:
    """Add a slot at a Shanghai local time "YYYY-MM-DD HH:MM"; its id."""
    with services.sessions.begin() as session:
        return add_slot(session, service_id=service_id, starts_at=local_start(start),
                        minutes=minutes, capacity=capacity, place=place, now=services.clock()).id
