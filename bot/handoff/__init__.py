"""Human handoff: the priority queue of tickets waiting for an agent, and agent presence."""

from bot.handoff.queue import (
    DatabaseQueue,
    HandoffQueue,
    QueueItem,
    RedisQueue,
    make_queue,
)

__all__ = ["DatabaseQueue", "HandoffQueue", "QueueItem", "RedisQueue", "make_queue"]
