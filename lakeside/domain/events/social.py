"""Events of the social products (declared in issue 13's conversion)."""
