"""Cancel a slot and tell everyone booked on it at once: the `slots cancel` command and the
staff console both call `cancel_and_tell` (one text, one rule)."""

from __future__ import annotations

from typing import Any

from db.booking import cancel_slot
from db.models import Service
from db.slots import describe, get_slot, open_slots


def cancel_and_tell(services: Any, slot_id: int, reason: str) -> int:
    """Cancel the slot (seats back), queue a message to each person booked with the reason and
    the next times still open, send them now; return how many people were told.

    Raises SlotError (no such slot, already cancelled, no reason) before anything is written.
    """
    now = services.clock()
    with services.sessions.begin() as session:
        slot = get_slot(session, slot_id)
        service = session.get(Service, slot.service_id)
        told = cancel_slot(session, slot_id, reason=reason, now=now)
        others = open_slots(session, slot.service_id, now=now, limit=3)
        alternatives = "\n".join(f"{n}. {describe(s)}" for n, s in enumerate(others, 1))
        queued: list[int] = []
        for booking in told:
            text = (f"抱歉，您预约的{describe(slot, service)}（预约编号{booking.ref}）已取消，"
                    f"原因：{reason.strip()}。\n"
                    + (f"还可以预约的时间：\n{alternatives}\n" if others else "")
                    + "重新预约请回复“预约”；有问题请回复“人工”。")
            queued += [r.id for r in services.sender.enqueue(session, booking.user_id, text)]
    services.sender.deliver(queued)
    return len(told)
