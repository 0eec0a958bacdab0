"""Static digest site generator for papers saved from the Daily Papers listing."""

__version__ = "0.1.0"
