# Production image: gunicorn serves the web app, the same image runs the Celery worker and beat.
FROM python:3.12-slim-trixie AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# A fixed numeric id: Kubernetes checks runAsNonRoot against it (deploy/kubernetes/).
RUN groupadd --system --gid 10001 esn \
 && useradd --system --uid 10001 --gid esn --home /app esn

# pg_dump and pg_restore for tools/backup.py (docs/operations.md), of the server's major
# version or newer: this base image's Debian ships PostgreSQL 17's, as docker-compose.yml runs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*

# Runtime dependencies only: tests, lint and the embedded development servers
# (requirements-dev.txt, requirements-embedded.txt) stay out (tests/esn/test_requirements.py).
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# The translations Django reads, compiled from locale/*/LC_MESSAGES/django.po (pure Python:
# no gettext package in the image; the .mo files are not in the repository).
RUN python tools/compile_messages.py

# Static files are collected at build time and served by WhiteNoise; the settings only need
# placeholders here, nothing connects to a database.
RUN SECRET_KEY=collectstatic-only DATABASE_URL=postgres://build@localhost/build \
    STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput \
 && mkdir -p /app/var/media /app/var/mail \
 && chown -R esn:esn /app/var

USER esn
ENV STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/var/media \
    PORT=8000
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request, sys; sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/readyz', timeout=4).status != 200)"

# Workers, threads, timeouts and the proxy addresses trusted for X-Forwarded-*: gunicorn.conf.py,
# from the environment (README: Running it in production).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "esn.wsgi:application"]
