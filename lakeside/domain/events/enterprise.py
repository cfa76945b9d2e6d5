"""Events of the enterprise products (declared in issue 13's conversion)."""
