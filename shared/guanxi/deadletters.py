"""Dead letters: messages the broker gave up on after their retries, kept in ``<queue>.XQ`` in Redis.

Dramatiq's Redis broker keeps a dead-lettered message in two keys per queue: a sorted set
``dramatiq:<queue>.XQ`` (message id scored by the time it died, in ms) and a hash
``dramatiq:<queue>.XQ.msgs`` (message id -> encoded message). The ``Retries`` middleware writes the
formatted traceback of the last failure into the message's options, so an operator sees why it died.
Entries older than ``GUANXI_BROKER_DEAD_MESSAGE_TTL_MS`` are dropped by the broker's maintenance.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from guanxi.broker import get_broker

ENQUEUE_OPTIONS_DROPPED = ("retries", "traceback", "requeue_timestamp", "eta", "redis_message_id")


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    queue: str
    actor: str
    job_id: str | None
    tenant_id: str | None
    failed_at: datetime
    retries: int
    error: str
    traceback: str
    message: dramatiq.Message[Any]

    def summary(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "queue": self.queue,
            "actor": self.actor,
            "job_id": self.job_id,
            "tenant_id": self.tenant_id,
            "failed_at": self.failed_at.isoformat(),
            "retries": self.retries,
            "error": self.error,
        }


def _keys(broker: RedisBroker, queue: str) -> tuple[str, str]:
    base = f"{broker.namespace}:{dramatiq.common.q_name(queue)}.XQ"
    return base, base + ".msgs"


def queues(broker: RedisBroker | None = None) -> list[str]:
    broker = broker or get_broker()
    declared = {dramatiq.common.q_name(name) for name in broker.get_declared_queues()}
    # Queues that only exist in Redis (declared by a worker of another version) are dead-lettered too.
    for key in broker.client.scan_iter(match=f"{broker.namespace}:*.XQ"):
        name = key.decode() if isinstance(key, bytes) else str(key)
        declared.add(name[len(broker.namespace) + 1 : -len(".XQ")])
    return sorted(declared or {"default"})


def _last_line(traceback: str) -> str:
    lines = [line for line in traceback.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _decode(queue: str, message_id: str, raw: Any, score: Any) -> DeadLetter | None:
    if raw is None:
        return None
    try:
        message = dramatiq.Message.decode(raw)
    except Exception:
        message = dramatiq.Message(
            queue_name=queue, actor_name="<undecodable>", args=(), kwargs={}, options={}, message_id=message_id
        )
    kwargs = message.kwargs or {}
    args = list(message.args or ())
    job_id = kwargs.get("job_id") or (args[0] if len(args) > 0 else None)
    tenant_id = kwargs.get("tenant_id") or (args[1] if len(args) > 1 else None)
    traceback = str(message.options.get("traceback") or "")
    return DeadLetter(
        message_id=message_id,
        queue=queue,
        actor=message.actor_name,
        job_id=str(job_id) if job_id is not None else None,
        tenant_id=str(tenant_id) if tenant_id is not None else None,
        failed_at=datetime.fromtimestamp(float(score) / 1000, UTC),
        retries=int(message.options.get("retries") or 0),
        error=_last_line(traceback) or "(no error recorded)",
        traceback=traceback,
        message=message,
    )


def list_dead(queue: str | None = None, limit: int = 100, broker: RedisBroker | None = None) -> list[DeadLetter]:
    """Newest first, across every queue unless one is named."""
    broker = broker or get_broker()
    found: list[DeadLetter] = []
    for name in [queue] if queue else queues(broker):
        zset, messages = _keys(broker, name)
        client: Any = broker.client
        for raw_id, score in client.zrevrange(zset, 0, limit - 1, withscores=True):
            message_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            letter = _decode(name, message_id, broker.client.hget(messages, message_id), score)
            if letter is not None:
                found.append(letter)
    found.sort(key=lambda letter: letter.failed_at, reverse=True)
    return found[:limit]


def count_dead(broker: RedisBroker | None = None) -> dict[str, int]:
    broker = broker or get_broker()
    return {name: int(broker.client.zcard(_keys(broker, name)[0])) for name in queues(broker)}


def queue_depth(broker: RedisBroker | None = None) -> dict[str, int]:
    """Messages waiting (ready plus delayed) per queue."""
    broker = broker or get_broker()
    depth: dict[str, int] = {}
    for name in queues(broker):
        ready = int(broker.client.llen(f"{broker.namespace}:{name}"))
        delayed = int(broker.client.llen(f"{broker.namespace}:{dramatiq.common.dq_name(name)}"))
        depth[name] = ready + delayed
    return depth


def find(message_id: str, broker: RedisBroker | None = None) -> DeadLetter | None:
    broker = broker or get_broker()
    for name in queues(broker):
        zset, messages = _keys(broker, name)
        score = broker.client.zscore(zset, message_id)
        if score is not None:
            return _decode(name, message_id, broker.client.hget(messages, message_id), score)
    return None


def _remove(broker: RedisBroker, letter: DeadLetter) -> bool:
    zset, messages = _keys(broker, letter.queue)
    pipe = broker.client.pipeline()
    pipe.zrem(zset, letter.message_id)
    pipe.hdel(messages, letter.message_id)
    removed, _ = pipe.execute()
    return bool(removed)


def requeue(message_id: str, broker: RedisBroker | None = None) -> bool:
    """Send a dead letter back to its queue with a fresh retry budget; False when it is not there."""
    broker = broker or get_broker()
    letter = find(message_id, broker)
    if letter is None or letter.actor == "<undecodable>":
        return False
    if not _remove(broker, letter):  # someone else requeued or purged it meanwhile
        return False
    options = {k: v for k, v in letter.message.options.items() if k not in ENQUEUE_OPTIONS_DROPPED}
    broker.enqueue(dataclasses.replace(letter.message, queue_name=letter.queue, options=options))
    return True


def requeue_all(queue: str | None = None, broker: RedisBroker | None = None) -> int:
    broker = broker or get_broker()
    return sum(requeue(letter.message_id, broker) for letter in list_dead(queue, limit=1_000_000, broker=broker))


def purge(message_id: str | None = None, queue: str | None = None, broker: RedisBroker | None = None) -> int:
    """Delete one dead letter, or every one (of a queue)."""
    broker = broker or get_broker()
    if message_id is not None:
        letter = find(message_id, broker)
        return int(letter is not None and _remove(broker, letter))
    removed = 0
    for name in [queue] if queue else queues(broker):
        zset, messages = _keys(broker, name)
        removed += int(broker.client.zcard(zset))
        broker.client.delete(zset, messages)
    return removed
