"""gunicorn settings, from the environment with defaults."""
import os

bind = os.environ.get("QA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("QA_WORKERS", "2"))
threads = int(os.environ.get("QA_THREADS", "1"))
timeout = int(os.environ.get("QA_TIMEOUT", "30"))
# Build the index once in the master; forked workers share its memory.
preload_app = True
# Logs to stdout/stderr, where a container runtime collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("QA_LOG_LEVEL", "info").lower()
