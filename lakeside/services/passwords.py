"""The common passwords that sign-ups and password changes refuse (NIST SP 800-63B, 5.1.1.2: check
new passwords against a list of values known to be commonly used).

``data/common-passwords.txt.gz`` holds the 8,450 entries of eight characters or more (shorter ones
are refused for their length anyway) of the 20,000 most common passwords compiled by Royce
Williams from breach corpora, lower-cased and in order of frequency — the list Django ships with
its ``CommonPasswordValidator`` (BSD licence). It is read on first use, not at start: 40 KB
compressed, some 100 KB in memory.
"""

from __future__ import annotations

import functools
import gzip
from importlib import resources


@functools.cache
def common_passwords() -> frozenset[str]:
    data = resources.files("lakeside.services").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split("\n")) - {""}
