"""Operational monitoring.

    metrics    Metrics: Prometheus counters/histograms on a per-app registry, fixed labels
    anomaly    AnomalyDetector, AlertDispatcher, RequestObservation
    counters   MemoryCounters / RedisCounters behind the anomaly baselines
    webhook    WebhookTransport protocol and the aiohttp implementation
"""
