"""HTTP routes: parse, authenticate, call one service, shape the reply. Thin by design."""
