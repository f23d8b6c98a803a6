"""MCP: remote MCP servers a connector uses (``remote``, ``discovery``, ``registration``,
``tokens``, ``calls``), and serving a connector as an MCP server. Imports nothing."""
