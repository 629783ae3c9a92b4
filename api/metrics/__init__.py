"""Prometheus metrics: requests by route and status, latency, the pool, database errors, backlogs.

``instruments`` holds the metrics themselves (the database layer and the error table count
into them), ``middleware`` times each request, ``controller`` serves ``GET /metrics``.
"""
