"""The WebSocket gateway: per-connection queues, resume, presence and typing.

It only forwards what the bus brings, to the connections the events are addressed to; which
users an event is for was decided by the service that emitted it.
"""
