#!/usr/bin/env bash
# Runs the timing-sensitive tests (sockets, threads, subprocesses, clocks, the SLA monitor,
# queue pushes, the fake Telegram API) many times in a row, to find races before CI does.
#
#   make flake-hunt                        each of them 20 times
#   FLAKE_COUNT=50 make flake-hunt         more repetitions
#   FLAKE_LOAD=1 make flake-hunt           with a busy loop on every core meanwhile
#   FLAKE_STACK=1 make flake-hunt          the real-stack tests too (needs the trained model)
#   FLAKE_TESTS="tests/web/test_console_api.py" make flake-hunt   other tests
#   make flake-hunt PYTEST_ARGS="-x -k socket"                     extra pytest arguments
#
# Set COMPLAINTBOT_REQUIRE_SERVICES=1 (as CI does) so the PostgreSQL and Redis tests fail
# instead of skipping when those are not running.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[flake-hunt]\033[0m %s\n' "$*"; }

COUNT=${FLAKE_COUNT:-20}
# Without the stack: an in-process gateway (TestClient or uvicorn in a thread) with real
# sockets, racing threads, background tasks and monitors, subprocesses, timeouts. Each on
# SQLite and PostgreSQL where the test is parametrized so.
T=tests
DEFAULT_TESTS=(
  # console WebSocket: queue pushes at moments of their own; two agents claiming at once
  $T/web/test_console_api.py::test_the_console_socket_pushes_the_queue_and_customer_messages
  $T/web/test_console_api.py::test_malformed_console_frames_get_an_error_frame_or_a_clean_close
  $T/web/test_console_api.py::test_the_console_socket_refuses_strangers
  $T/web/test_console_api.py::test_two_agents_claim_the_same_ticket_and_one_wins
  # web chat WebSocket: several tabs, pushes from Outbound, rate limits, a real socket
  $T/channels/test_webchat.py
  $T/security/test_session_ids.py
  # the SLA monitor in the background, alerts to Telegram; two monitors at the same moment
  $T/sla/test_api_alerts.py::test_the_gateway_runs_the_monitor_in_the_background
  $T/sla/test_api_alerts.py::test_alerts_reach_the_agents_telegram_group
  $T/sla/test_exactly_once.py
  $T/sla/test_monitor.py
  $T/sla/test_early_warnings.py
  # gateways in threads: messages waiting for a starting Rasa, two gateways on one Redis
  $T/ops/test_startup_grace.py
  $T/ops/test_two_gateways.py
  $T/ops/test_shared_limits.py
  $T/ops/test_metrics_counts.py
  # the agents' Telegram group against the fake Bot API (polling in a background task)
  $T/telegram_channel/test_agent_group.py
  $T/telegram_channel/test_team_handover.py
  $T/telegram_channel/test_update_kinds.py
  # racing threads: claims, remedy approvals, sign-in guesses
  $T/handoff/test_queue.py::test_twenty_agents_racing_claim_each_item_exactly_once
  $T/web/test_remedy_api.py::test_two_supervisors_approving_at_once_decide_it_once
  $T/web/test_remedy_api.py::test_two_grants_at_once_leave_one_remedy
  $T/security/test_login_throttle.py::test_a_burst_of_parallel_guesses_gets_no_more_than_the_limit
  # Rasa replicas served in threads, timeouts; Redis going away
  $T/routing/test_rasa_client.py
  $T/handoff/test_redis_queue.py
  # subprocesses and their logs
  $T/customers/test_log_masking.py::test_the_action_server_masks_what_actions_log
  $T/security/test_pii_logs.py
  $T/security/test_log_secrets.py
)
# Slow (a gateway subprocess killed and restarted, Redis and PostgreSQL restarted): add
# them with FLAKE_TESTS="tests/faults" when you touch crash recovery.
# With the real stack (one Rasa start for the whole run).
STACK_TESTS=(
  tests/integration
  tests/telegram_channel/test_telegram_channel.py
  tests/security/test_rasa_api.py
)

if [ -n "${FLAKE_TESTS:-}" ]; then
  read -r -a TESTS <<<"$FLAKE_TESTS"
  MARKS=()
elif [ "${FLAKE_STACK:-0}" = 1 ]; then
  TESTS=("${DEFAULT_TESTS[@]}" "${STACK_TESTS[@]}")
  MARKS=(-m "not browser")
else
  TESTS=("${DEFAULT_TESTS[@]}")
  MARKS=(-m "not stack and not browser")
fi

LOAD_PIDS=()
stop_load() {
  for pid in "${LOAD_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap stop_load EXIT
if [ "${FLAKE_LOAD:-0}" = 1 ]; then
  cores=$(nproc)
  say "CPU load: a busy loop on each of the $cores cores"
  for _ in $(seq "$cores"); do
    (while :; do :; done) &
    LOAD_PIDS+=("$!")
  done
fi

say "each test ${COUNT} times: ${TESTS[*]}"
start=$(date +%s)
status=0
.venv/bin/python -m pytest "${TESTS[@]}" "${MARKS[@]}" --count="$COUNT" \
  -p no:cacheprovider -q -rfEs "$@" || status=$?
say "$(( $(date +%s) - start ))s, exit status ${status}"
exit "$status"
