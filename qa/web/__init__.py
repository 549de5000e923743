"""The HTTP service: the Flask blueprints (api, admin, openai_api, ui, openapi), the JSON errors and
response headers, and the engine kept as the app's resource (store.py)."""
