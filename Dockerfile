# syntax=docker/dockerfile:1
# foiflow's image: the worker (the default command), the dispatcher (`foiflow dispatch`), the web
# app (`uvicorn --factory web.app:app_from_env`) and the operator CLI (`foiflow doctor`, `foiflow
# store migrate`…), configured only by FOIFLOW_* environment variables. docker-compose.yml runs it.
#
#   assets   the pages' front-end files, `npm ci` from package-lock.json (when package.json exists)
#   build    a virtual environment with foiflow and its runtime dependencies (no dev extras)
#   runtime  slim Python, Pango for PDF letters, the venv, a non-root user; no compilers, no npm
# Base images are pinned (never `latest`); nothing is downloaded when a container starts.

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm
ARG NODE_IMAGE=node:22.12.0-bookworm-slim

FROM ${NODE_IMAGE} AS assets
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
COPY . .
# The Makefile's `assets` target runs `npm ci` and copies the built CSS, JS, fonts and images into
# web/static, exactly as `make run` does on a laptop.
RUN if [ -f package.json ]; then make assets; fi && mkdir -p web/static

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/foiflow
COPY . /src
COPY --from=assets /src/web/static /src/web/static
# A regular (not editable) install of the runtime dependencies only: the image holds no test
# tools, and the static files travel as package data.
RUN /opt/foiflow/bin/pip install /src

FROM ${PYTHON_IMAGE} AS runtime
# PDF letters (WeasyPrint): Pango and an Arial-metric font, from Debian.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 foiflow \
    && useradd --system --uid 10001 --gid foiflow --home-dir /var/lib/foiflow --create-home \
        --shell /usr/sbin/nologin foiflow
COPY --from=build /opt/foiflow /opt/foiflow
ENV PATH=/opt/foiflow/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FOIFLOW_DATA_DIR=/var/lib/foiflow \
    FOIFLOW_LOG_FORMAT=json \
    FOIFLOW_WEB_HOST=0.0.0.0
USER foiflow:foiflow
WORKDIR /var/lib/foiflow
# 8000: the web app; 9464: the worker's metrics when FOIFLOW_WORKER_METRICS_PORT=9464.
EXPOSE 8000 9464
CMD ["python", "-m", "worker"]
