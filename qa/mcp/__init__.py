"""The service's tools over the Model Context Protocol (`python -m qa mcp`): ask, search, read a
source, list the sources and the timeline, for desktop assistants (stdio) and MCP clients over
streamable HTTP. backends.py answers (the engine in this process, or a running service); results.py
shapes the answers; text.py writes them for reading; server.py declares the tools; http.py serves
them over HTTP behind the API key and the Origin check."""
