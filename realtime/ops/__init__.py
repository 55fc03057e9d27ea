"""What operators see: Prometheus metrics, the ops feed's load reports, the JSON log format.

May import the engine only: every other package reports through this one.
"""
