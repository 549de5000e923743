"""WSGI entry point: gunicorn -c gunicorn.conf.py wsgi:app"""
import sys

from qa import SettingError, create_app
from qa.sources.documents import SourceError

try:
    app = create_app()
except (SettingError, SourceError) as exc:
    # A start-up error the operator can act on: one line, no traceback.
    print(f"error: cannot start: {exc}", file=sys.stderr)
    sys.exit(2)
