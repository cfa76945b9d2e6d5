"""Events of the growth products (declared in issue 13's conversion)."""
