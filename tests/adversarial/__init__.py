"""Standing adversarial cases: what an attacker tries, kept as tests (run with the rest by pytest).

Each test plays an attack for real — concurrent requests through the ASGI app or across two nodes,
no mocked database, no timing assertions — on SQLite and PostgreSQL (the fixtures of
tests/conftest.py) and asserts that it gains nothing.
"""
