FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    QA_BIND=0.0.0.0:8000 QA_SOURCES=/app/seeds QA_INDEX=/app/var/index.npz QA_DATA_DIR=/app/var/sources

WORKDIR /app
# FreeDict English-Dutch dictionaries: English questions over Dutch sources.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        dict-freedict-eng-nld dict-freedict-nld-eng && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml ./
COPY qa ./qa
RUN pip install --quiet . && useradd --system --no-create-home --uid 10001 qa
COPY wsgi.py gunicorn.conf.py ./
COPY seeds ./seeds
# Build the index into the image, so a container starts by loading it. The
# service rebuilds it (in memory) if QA_SOURCES points at other sources.
RUN mkdir -p var/sources && python -m qa index seeds --out var/index.npz && chown -R qa var
# The service writes there: the index of other sources (QA_SOURCES), the
# sentence vectors made in the background, the translation table's cache, and
# in var/sources (QA_DATA_DIR) the articles added while it runs.
VOLUME /app/var

USER qa
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
