"""kombu's Redis transport with one fix: a worker survives losing its broker connection.

When the connection drops while the worker holds delivered, unacknowledged tasks, Celery closes
the channel and kombu tries to put those tasks back on their queues through a connection it has
already torn down: an AttributeError that Celery treats as unrecoverable, so the worker exits
(seen here on every Redis restart with tasks in flight; kombu 5.7, redis-py 8). Nothing needs
putting back: Redis keeps each delivered task in its `unacked` set until it is acknowledged, and the
visibility-timeout sweep (`broker_visibility_timeout_s`) queues it again for whichever worker is up.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis

log = logging.getLogger(__name__)


class QoS(redis.QoS):
    def restore_unacked(self, client: Any = None) -> None:
        try:
            super().restore_unacked(client)
        except AttributeError:
            log.warning(
                "broker connection lost with %d tasks in flight: Redis redelivers them after the visibility timeout",
                len(self._delivered),
            )
            self._delivered.clear()


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
