"""Pure types and rules: no I/O, and no imports from the rest of lakeside but its errors."""
