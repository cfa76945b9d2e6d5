"""lakeside's benchmark suite: ``python -m bench --quick`` (under 2 minutes) or ``--full``
(under 15). See docs/performance.md."""
