"""Remedies on tickets (服务补救, 员工处理投诉的权力).

Whoever works a ticket asks for a remedy. Within their role's authority (RemedyPolicy) it
is granted on the spot and written to the ticket's `remedy`; above it, it becomes a pending
RemedyRequest that a supervisor or admin approves (the remedy is written with
`approved_by`) or declines with a reason. Every step is in the ticket's audit trail:
remedy_granted, remedy_requested, remedy_approved, remedy_declined.

Rules beyond the policy's limits:
- One remedy per ticket, and no new request while one waits: splitting a remedy into
  pieces would get around the limits. A declined request leaves the ticket free again.
- No remedy is asked for on a closed or withdrawn ticket; a request made before the
  ticket was closed can still be decided.
- Nobody decides their own request, except an admin (there is nobody above them; the
  trail shows it). Approvers approve only what their own rule would have let them grant.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.clock import iso
from bot.tickets.audit import Actor, record
from bot.tickets.models import REMEDY_REQUEST_STATUSES, RemedyRequest, Ticket
from bot.tickets.permissions import Forbidden, check_decides
from bot.tickets.remedy_policy import APPROVER_ROLES, Decision, Remedy, RemedyPolicy
from bot.tickets.service import lock_ticket

logger = logging.getLogger(__name__)

CLOSED_TO_REMEDIES = frozenset({"closed", "withdrawn"})
MAX_TEXT_CHARS = 4000


class RemedyConflict(Exception):
    """Not possible in the ticket's or the request's current state (HTTP 409)."""


class RequestNotFound(LookupError):
    """No remedy request with that id."""


@dataclass(frozen=True)
class Outcome:
    """What became of a remedy asked for: granted now, or a request waiting for approval."""

    granted: bool
    why: str
    request: RemedyRequest | None = None


def _text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text[:MAX_TEXT_CHARS] or None


def remedy_of(request: RemedyRequest) -> Remedy:
    return Remedy(request.type, request.amount, request.currency)


def pending_request(session: Session, ticket_id: str) -> RemedyRequest | None:
    return session.scalars(
        select(RemedyRequest)
        .where(RemedyRequest.ticket_id == ticket_id, RemedyRequest.status == "pending")
        .limit(1)
    ).first()


def _write_remedy(
    ticket: Ticket, remedy: Remedy, *, granted_by: str, approved_by: str | None, now: datetime
) -> None:
    ticket.remedy = {
        **remedy.as_data(),
        "granted_by": granted_by,
        "approved_by": approved_by,
        "granted_at": iso(now),
    }
    ticket.updated_at = now


def _hold(session: Session, ticket: Ticket, now: datetime) -> None:
    """Holds the ticket's row before anything is checked, so that two grants at once cannot
    both find it free: PostgreSQL has the row locked already (lock_ticket); on SQLite this
    first write takes the database's write lock, and the refresh reads the last commit."""
    session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(ticket)


def request_remedy(
    session: Session,
    *,
    ticket: Ticket,
    remedy: Remedy,
    note: str | None,
    actor: Actor,
    now: datetime,
    policy: RemedyPolicy,
) -> Outcome:
    """Grants `remedy` on the (locked) ticket when `actor`'s authority covers it, otherwise
    files a request for approval. Raises Forbidden or RemedyConflict and changes nothing."""
    _hold(session, ticket, now)
    check_decides(actor, ticket, "a remedy")
    assert actor.username is not None  # check_decides lets only people through
    if ticket.status in CLOSED_TO_REMEDIES:
        raise RemedyConflict(f"ticket {ticket.id} is {ticket.status}: no remedy can be added")
    if ticket.remedy is not None:
        granted = ticket.remedy
        raise RemedyConflict(
            f"a remedy was already granted on {ticket.id} ({granted.get('type')} by "
            f"{granted.get('granted_by')}); one remedy per ticket"
        )
    waiting = pending_request(session, ticket.id)
    if waiting is not None:
        raise RemedyConflict(
            f"request #{waiting.id} ({remedy_of(waiting).describe()}) is waiting for "
            "approval; a supervisor decides it first"
        )
    note = _text(note)
    decision = policy.decide(actor.role, remedy)
    data: dict[str, Any] = {**remedy.as_data(), "note": note, "why": decision.why}
    if decision.granted:
        _write_remedy(ticket, remedy, granted_by=actor.username, approved_by=None, now=now)
        record(ticket, actor=actor, action="remedy_granted", now=now, data=data)
        session.flush()
        logger.info("ticket %s: %s granted by %s", ticket.id, remedy.describe(), actor.name)
        return Outcome(True, decision.why)
    request = RemedyRequest(
        ticket_id=ticket.id,
        type=remedy.type,
        amount=remedy.amount,
        currency=remedy.currency,
        note=note,
        why=decision.why[:200],
        status="pending",
        requested_by=actor.username,
        requested_at=now,
    )
    session.add(request)
    session.flush()
    ticket.updated_at = now
    record(
        ticket,
        actor=actor,
        action="remedy_requested",
        now=now,
        data={"request_id": request.id, **data},
    )
    session.flush()
    logger.info("ticket %s: %s sent for approval (#%s)", ticket.id, remedy.describe(), request.id)
    return Outcome(False, decision.why, request)


def decider_verdict(
    request: RemedyRequest, actor: Actor, policy: RemedyPolicy, *, approving: bool
) -> Decision:
    """May `actor` approve (or decline) `request`? With the reason when not."""
    if actor.role not in APPROVER_ROLES or actor.username is None:
        return Decision(False, "only supervisors and admins decide remedy requests")
    if request.requested_by == actor.username and actor.role != "admin":
        return Decision(
            False, "nobody decides their own request; another supervisor or an admin does"
        )
    if not approving:
        # Declining spends nothing: any supervisor may say no, whatever the amount.
        return Decision(True, "supervisors and admins may decline any request")
    return policy.may_approve(actor.role, remedy_of(request))


def _decide(
    session: Session,
    *,
    request_id: int,
    actor: Actor,
    policy: RemedyPolicy,
    approving: bool,
    reason: str | None,
    now: datetime,
) -> tuple[RemedyRequest, Ticket]:
    """Marks a pending request approved or declined by `actor`, or raises and writes nothing.

    The decision is one conditional write (pending -> decided): of two supervisors
    clicking at once, on SQLite as on PostgreSQL, exactly one finds it still pending.
    """
    request = session.get(RemedyRequest, request_id)
    if request is None:
        raise RequestNotFound(f"no remedy request {request_id}")
    verdict = decider_verdict(request, actor, policy, approving=approving)
    if not verdict.granted:
        raise Forbidden(verdict.why)
    decided = session.execute(
        update(RemedyRequest)
        .where(RemedyRequest.id == request_id, RemedyRequest.status == "pending")
        .values(
            status="approved" if approving else "declined",
            decided_by=actor.username,
            decided_at=now,
            reason=reason,
        )
        .returning(RemedyRequest.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    session.refresh(request)
    if decided is None:
        raise RemedyConflict(
            f"request #{request.id} was already {request.status} by {request.decided_by}"
        )
    return request, lock_ticket(session, request.ticket_id)


def approve_request(
    session: Session,
    *,
    request_id: int,
    actor: Actor,
    now: datetime,
    policy: RemedyPolicy,
    note: str | None = None,
) -> tuple[RemedyRequest, Ticket]:
    """Approves a pending request: the remedy goes on the ticket with `approved_by`."""
    note = _text(note)
    request, ticket = _decide(session, request_id=request_id, actor=actor, policy=policy,
                              approving=True, reason=note, now=now)  # fmt: skip
    assert actor.username is not None
    remedy = remedy_of(request)
    _write_remedy(
        ticket, remedy, granted_by=request.requested_by, approved_by=actor.username, now=now
    )
    record(
        ticket,
        actor=actor,
        action="remedy_approved",
        now=now,
        data={"request_id": request.id, **remedy.as_data(),
              "requested_by": request.requested_by, "note": note},
    )  # fmt: skip
    session.flush()
    logger.info("ticket %s: request #%s approved by %s", ticket.id, request.id, actor.name)
    return request, ticket


def decline_request(
    session: Session,
    *,
    request_id: int,
    reason: str,
    actor: Actor,
    now: datetime,
    policy: RemedyPolicy,
) -> tuple[RemedyRequest, Ticket]:
    """Declines a pending request with a reason; the ticket is free for another request."""
    text = _text(reason)
    if text is None:
        raise ValueError("a decline needs a reason")
    request, ticket = _decide(session, request_id=request_id, actor=actor, policy=policy,
                              approving=False, reason=text, now=now)  # fmt: skip
    ticket.updated_at = now
    record(
        ticket,
        actor=actor,
        action="remedy_declined",
        now=now,
        data={"request_id": request.id, **remedy_of(request).as_data(),
              "requested_by": request.requested_by, "reason": text},
    )  # fmt: skip
    session.flush()
    logger.info("ticket %s: request #%s declined by %s", ticket.id, request.id, actor.name)
    return request, ticket


def list_requests(
    session: Session,
    *,
    status: str | None = "pending",
    requested_by: str | None = None,
    ticket_id: str | None = None,
    limit: int = 100,
) -> list[RemedyRequest]:
    """Pending requests oldest first (the longest waiting on top); decided ones newest first."""
    if status is not None and status not in REMEDY_REQUEST_STATUSES:
        raise ValueError(f"status must be one of {', '.join(REMEDY_REQUEST_STATUSES)}")
    stmt = select(RemedyRequest)
    if status is not None:
        stmt = stmt.where(RemedyRequest.status == status)
    if requested_by is not None:
        stmt = stmt.where(RemedyRequest.requested_by == requested_by)
    if ticket_id is not None:
        stmt = stmt.where(RemedyRequest.ticket_id == ticket_id)
    if status == "pending":
        stmt = stmt.order_by(RemedyRequest.requested_at, RemedyRequest.id)
    else:
        stmt = stmt.order_by(RemedyRequest.requested_at.desc(), RemedyRequest.id.desc())
    return list(session.scalars(stmt.limit(limit)))


def request_to_dict(request: RemedyRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "ticket_id": request.ticket_id,
        **remedy_of(request).as_data(),
        "note": request.note,
        "why": request.why,
        "status": request.status,
        "requested_by": request.requested_by,
        "requested_at": iso(request.requested_at),
        "decided_by": request.decided_by,
        "decided_at": iso(request.decided_at),
        "reason": request.reason,
    }
