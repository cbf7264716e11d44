# syntax=docker/dockerfile:1
# Images for the three processes of DESIGN §1, one build target each:
#
#   docker build --target rasa       -t complaintbot-rasa .      # model mounted at run time
#   docker build --target rasa-baked -t complaintbot-rasa:baked . # model trained during the build
#   docker build --target actions    -t complaintbot-actions .
#   docker build --target gateway    -t complaintbot-gateway .
#
# Installed exactly as scripts/setup.sh does (pip==24.0, then the pinned lock, the package
# itself with --no-deps), so an image runs what `make test` tested. Not built on the
# development machine, which has no Docker engine: see docs/DEPLOY.md.

# Rasa 3.6 runs only on Python 3.10; the app runs on 3.11 (DESIGN §1).
ARG RASA_PYTHON=python:3.10-slim-bookworm
ARG APP_PYTHON=python:3.11-slim-bookworm

# ---------------------------------------------------------------- Rasa (Python 3.10)
FROM ${RASA_PYTHON} AS rasa-deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# A compiler only in the build stage, for any pinned package without a wheel.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv && /opt/venv/bin/python -m pip install --quiet "pip==24.0"
COPY requirements/rasa.txt /tmp/requirements/rasa.txt
RUN /opt/venv/bin/python -m pip install --progress-bar off -r /tmp/requirements/rasa.txt

FROM ${RASA_PYTHON} AS rasa
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    PYTHONWARNINGS=ignore \
    COMPLAINTBOT_RASA_PORT=5005 \
    COMPLAINTBOT_MODEL=/app/models
RUN useradd --create-home --uid 10001 --user-group app \
 && mkdir -p /app/models && chown app:app /app /app/models
COPY --from=rasa-deps /opt/venv /opt/venv
WORKDIR /app
# The custom NLU components (config.yml names bot.nlu.rasa_components.*): standard library
# only, which is why bot/__init__.py imports nothing.
COPY bot/__init__.py bot/rasa_launch.py bot/
COPY bot/nlu/ bot/nlu/
COPY endpoints.prod.yml credentials.yml deploy/rasa-run.sh deploy/healthcheck.py ./
USER app
EXPOSE 5005
# /status needs the token, so a healthy check also proves the API and its auth are up.
HEALTHCHECK --interval=30s --timeout=10s --start-period=180s --retries=3 \
  CMD ["python", "/app/healthcheck.py", "http://127.0.0.1:${COMPLAINTBOT_RASA_PORT}/status", "--token-env", "COMPLAINTBOT_RASA_TOKEN"]
ENTRYPOINT ["/bin/sh", "/app/rasa-run.sh"]

# Trains the model in the image, with the command of bot/model.py and its fingerprinted name.
FROM rasa AS rasa-model
USER root
COPY config.yml domain.yml ./
COPY data/ data/
COPY requirements/rasa.txt requirements/rasa.txt
COPY bot/model.py bot/model.py
RUN name="$(python -c 'from pathlib import Path; from bot.model import model_file; print(model_file(Path(".")).name.removesuffix(".tar.gz"))')" \
 && rasa train --config config.yml --domain domain.yml --data data \
      --out /build/models --fixed-model-name "$name"

FROM rasa AS rasa-baked
COPY --from=rasa-model --chown=app:app /build/models/ /app/models/

# ------------------------------------------------ app: actions and gateway (Python 3.11)
FROM ${APP_PYTHON} AS app-deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv && /opt/venv/bin/python -m pip install --quiet "pip==24.0"
COPY requirements/app.txt /tmp/requirements/app.txt
RUN /opt/venv/bin/python -m pip install --progress-bar off -r /tmp/requirements/app.txt
COPY pyproject.toml /src/pyproject.toml
COPY bot/ /src/bot/
COPY actions/ /src/actions/
RUN /opt/venv/bin/python -m pip install --quiet --no-deps --no-build-isolation /src

FROM ${APP_PYTHON} AS app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    COMPLAINTBOT_ROOT=/app \
    COMPLAINTBOT_VAR_DIR=/app/var
RUN useradd --create-home --uid 10001 --user-group app \
 && mkdir -p /app/var && chown app:app /app /app/var
COPY --from=app-deps /opt/venv /opt/venv
COPY deploy/healthcheck.py /app/healthcheck.py
WORKDIR /app
USER app

FROM app AS actions
ENV COMPLAINTBOT_ACTIONS_PORT=5055 \
    SANIC_HOST=0.0.0.0
EXPOSE 5055
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["python", "/app/healthcheck.py", "http://127.0.0.1:${COMPLAINTBOT_ACTIONS_PORT}/health"]
CMD ["/bin/sh", "-c", "exec python -m rasa_sdk --actions actions -p \"$COMPLAINTBOT_ACTIONS_PORT\""]

# The gateway applies the database migrations on start-up (bot/web/app.py).
FROM app AS gateway
ENV COMPLAINTBOT_HOST=0.0.0.0 \
    COMPLAINTBOT_PORT=8000
EXPOSE 8000
# Liveness (/healthz/live): 200 while the gateway serves, whatever Rasa does; it accepts
# complaints even with Rasa down, so a dead Rasa must not restart it. Readiness for a load
# balancer is /healthz/ready (docs/DEPLOY.md).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["python", "/app/healthcheck.py", "http://127.0.0.1:${COMPLAINTBOT_PORT}/healthz/live"]
CMD ["/bin/sh", "-c", "exec python -m uvicorn --factory bot.web.app:app_from_environment --host \"$COMPLAINTBOT_HOST\" --port \"$COMPLAINTBOT_PORT\" --no-access-log --ws-max-size 1048576"]
