"""TCP settings for every connection to Postgres, so that a dead network path is noticed.

A database host that vanishes without a reset (power lost, a failed switch path, a
firewall that starts dropping) leaves open connections waiting: a statement in flight
until the kernel gives up retransmitting (about 15 minutes on Linux), an idle LISTEN
connection for ever. With keepalives an idle connection is probed, and with
``tcp_user_timeout`` data left unacknowledged fails its connection; either way within
the timeout, after which the store reports an outage and the worker rides it out as after
a database restart. These are libpq's own parameters: what the URL sets wins.
"""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict, make_conninfo

DEFAULT_TCP_TIMEOUT = 30.0  # seconds; Settings.database_tcp_timeout


def tcp_defaults(url: str, timeout: float) -> str:
    """``url`` with keepalives and a TCP user timeout for a dead path to be noticed within
    about ``timeout`` seconds (idle: probed after half of it, then 3 probes a sixth of it
    apart), where the URL does not set them itself. ``timeout`` 0: ``url`` unchanged."""
    if timeout <= 0:
        return url
    options = {"keepalives": 1, "keepalives_idle": max(1, round(timeout / 2)),
               "keepalives_interval": max(1, round(timeout / 6)), "keepalives_count": 3,
               "tcp_user_timeout": round(timeout * 1000)}
    given = conninfo_to_dict(url)
    missing = {k: v for k, v in options.items() if k not in given}
    return make_conninfo(url, **missing) if missing else url
