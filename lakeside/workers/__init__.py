"""Deferred jobs off the request path, in-process by default; they work through the services."""
