"""The terminal: `python -m qa chat` (terminal.py) and `python -m qa add` (adding.py)."""
