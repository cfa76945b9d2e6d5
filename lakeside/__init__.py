"""lakeside: self-hosted messaging and collaboration on one messaging core."""

__version__ = "0.1.0"
