#!/bin/sh
# Entry point of the rasa image: `rasa run` as bot/stack.py starts it, but listening on
# every interface of the container and with the production endpoints profile.
# COMPLAINTBOT_MODEL: a model file, or a directory (Rasa takes its newest model).
set -eu
: "${COMPLAINTBOT_RASA_TOKEN:?COMPLAINTBOT_RASA_TOKEN must be set (the gateway sends it)}"
# The token goes from the environment to Rasa's token option inside the process
# (bot/rasa_launch.py): a command line is readable by anyone who can list processes.
exec python -m bot.rasa_launch run \
  --enable-api \
  --interface 0.0.0.0 \
  --port "${COMPLAINTBOT_RASA_PORT:-5005}" \
  --model "${COMPLAINTBOT_MODEL:-/app/models}" \
  --endpoints endpoints.prod.yml \
  --credentials credentials.yml \
  "$@"
