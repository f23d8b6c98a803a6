"""Pull parameters: learn an endpoint's response tree from real responses (see docs/pull.md)."""
