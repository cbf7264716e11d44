#!/bin/sh
# Entry point of the rasa image: `rasa run` as bot/stack.py starts it, but listening on
# every interface of the container and with the production endpoints profile.
# COMPLAINTBOT_MODEL: a model file, or a directory (Rasa takes its newest model).
set -eu
: "${COMPLAINTBOT_RASA_TOKEN:?COMPLAINTBOT_RASA_TOKEN must be set (the gateway sends it)}"
exec rasa run \
  --enable-api \
  --auth-token="$COMPLAINTBOT_RASA_TOKEN" \
  --interface 0.0.0.0 \
  --port "${COMPLAINTBOT_RASA_PORT:-5005}" \
  --model "${COMPLAINTBOT_MODEL:-/app/models}" \
  --endpoints endpoints.prod.yml \
  --credentials credentials.yml \
  "$@"
