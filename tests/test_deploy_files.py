"""The deployment files (Dockerfile, docker-compose.yml, endpoints.prod.yml, .env.example)
agree with the code: no Docker engine needed, and none is available where this was written.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml

from bot.config import Settings
from bot.paths import PROJECT_ROOT
from bot.stack import Stack

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
COMPOSE = PROJECT_ROOT / "docker-compose.yml"
PROFILE = PROJECT_ROOT / "endpoints.prod.yml"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
RASA_RUN = PROJECT_ROOT / "deploy" / "rasa-run.sh"
SETUP = PROJECT_ROOT / "scripts" / "setup.sh"
# Read by bot/model.py from the environment, not a Settings field.
NON_SETTINGS_VARIABLES = {"COMPLAINTBOT_MODEL"}
DEFAULTS = Settings.model_fields


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines = [ln for ln in DOCKERFILE.read_text().splitlines() if not ln.lstrip().startswith("#")]
    text = re.sub(r"\\\n", " ", "\n".join(lines))
    result = []
    for line in text.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def _stages() -> dict[str, list[tuple[str, str]]]:
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for word, rest in _instructions():
        if word == "FROM":
            parts = rest.split()
            current = [("FROM", parts[0])]
            stages[parts[-1] if len(parts) == 3 else parts[0]] = current
        else:
            current.append((word, rest))
    return stages


def _stage_chain(name: str) -> list[list[tuple[str, str]]]:
    """The instructions of a stage and of the stages it is built FROM, nearest first."""
    stages = _stages()
    chain = []
    while name in stages:
        chain.append(stages[name])
        name = stages[name][0][1]
    return chain


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _profile_variables() -> set[str]:
    lines = [ln for ln in PROFILE.read_text().splitlines() if not ln.lstrip().startswith("#")]
    return set(re.findall(r"\$\{(\w+)\}", "\n".join(lines)))


def test_dockerfile_has_the_three_targets_on_pinned_bases() -> None:
    stages = _stages()
    assert {"rasa", "rasa-baked", "actions", "gateway"} <= stages.keys()
    args = dict(
        rest.split("=", 1) for word, rest in _instructions() if word == "ARG" and "=" in rest
    )
    assert args["RASA_PYTHON"].startswith("python:3.10-") and "bookworm" in args["RASA_PYTHON"]
    assert args["APP_PYTHON"].startswith("python:3.11-") and "bookworm" in args["APP_PYTHON"]
    for image in _compose_images():
        assert ":" in image and not image.endswith(":latest"), image


def _compose_images() -> list[str]:
    return [s["image"] for s in _compose()["services"].values() if "build" not in s]


def test_every_copied_file_exists() -> None:
    for word, rest in _instructions():
        if word != "COPY" or "--from=" in rest:
            continue
        sources = [p for p in shlex.split(rest) if not p.startswith("--")][:-1]
        assert sources, rest
        for source in sources:
            assert (PROJECT_ROOT / source).exists(), f"COPY {source}: no such file"


def test_dockerfile_installs_the_locks_setup_sh_uses() -> None:
    text = DOCKERFILE.read_text()
    setup = SETUP.read_text()
    installed = set(re.findall(r"-r\s+/tmp/(requirements/\w+\.txt)", text))
    used = set(re.findall(r"make_venv \S+ \S+ (requirements/\w+\.txt)", setup))
    assert installed == used == {"requirements/rasa.txt", "requirements/app.txt"}
    assert '"pip==24.0"' in text and '"pip==24.0"' in setup
    assert "--no-deps" in text and "--no-build-isolation" in text
    # The lock that the model fingerprint hashes is the one the rasa image installs.
    for path in installed:
        assert f"COPY {path} /tmp/{path}" in text


def test_images_run_as_a_non_root_user_with_a_healthcheck() -> None:
    for target in ("rasa", "rasa-baked", "actions", "gateway"):
        chain = [i for stage in _stage_chain(target) for i in stage]
        users = [rest for word, rest in chain if word == "USER"]
        assert users and users[0] != "root", target  # nearest USER first
        assert any(word == "HEALTHCHECK" for word, _ in chain), target
    env = " ".join(rest for word, rest in _stages()["rasa"] if word == "ENV")
    assert "RASA_TELEMETRY_ENABLED=false" in env


def test_baked_model_is_trained_with_the_command_of_bot_model() -> None:
    text = " ".join(rest for word, rest in _stages()["rasa-model"] if word == "RUN")
    assert "model_file(Path(" in text  # the same fingerprinted name as `make train`
    assert "rasa train --config config.yml --domain domain.yml --data data" in text
    source = (PROJECT_ROOT / "bot" / "model.py").read_text()
    assert '"train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data"' in source


def test_processes_start_as_bot_stack_starts_them(tmp_path: Path) -> None:
    stack = Stack(Settings(var_dir=tmp_path), tmp_path / "model.tar.gz", PROJECT_ROOT)
    actions, rasa, gateway = (s.command for s in stack.services)
    stages = _stages()
    gateway_cmd = next(rest for word, rest in stages["gateway"] if word == "CMD")
    start = gateway.index("uvicorn")
    for flag in gateway[start:]:
        if flag not in (stack.settings.host, str(stack.settings.port)):
            assert flag in gateway_cmd, flag
    actions_cmd = next(rest for word, rest in stages["actions"] if word == "CMD")
    assert " ".join(actions[1:5]) in actions_cmd  # -m rasa_sdk --actions actions
    script = RASA_RUN.read_text()
    for flag in ("bot.rasa_launch", "run", "--enable-api", "--credentials", "--model"):
        assert any(f.startswith(flag) for f in rasa) and flag in script, flag
    # The token reaches Rasa in the environment, never on a command line (bot/rasa_launch.py).
    assert not any("auth-token" in f for f in rasa) and "auth-token" not in script
    assert "--endpoints endpoints.prod.yml" in script


def test_ports_match_the_defaults_of_bot_stack() -> None:
    ports = {name: DEFAULTS[f"{name}_port"].default for name in ("rasa", "actions")}
    ports["gateway"] = DEFAULTS["port"].default
    assert ports == {"rasa": 5005, "actions": 5055, "gateway": 8000}
    services = _compose()["services"]
    probes = {name: " ".join(services[name]["healthcheck"]["test"]) for name in services}
    assert f"127.0.0.1:{ports['rasa']}/status" in probes["rasa-1"]
    assert f"127.0.0.1:{ports['actions']}/health" in probes["actions"]
    assert f"127.0.0.1:{ports['gateway']}/healthz/live" in probes["gateway"]
    gateway_env = services["gateway"]["environment"]
    assert gateway_env["COMPLAINTBOT_RASA_URL"] == (
        f"http://rasa-1:{ports['rasa']},http://rasa-2:{ports['rasa']}"
    )
    assert gateway_env["COMPLAINTBOT_ACTIONS_URL"] == f"http://actions:{ports['actions']}"
    assert gateway_env["COMPLAINTBOT_PORT"] == str(ports["gateway"])
    dockerfile = DOCKERFILE.read_text()
    assert f"COMPLAINTBOT_RASA_PORT={ports['rasa']}" in dockerfile
    assert f"COMPLAINTBOT_ACTIONS_PORT={ports['actions']}" in dockerfile
    assert f"COMPLAINTBOT_PORT={ports['gateway']}" in dockerfile


def test_compose_services_have_healthchecks_and_known_settings() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis", "rasa-1", "rasa-2", "actions", "gateway"} <= services.keys()
    fields = {f"COMPLAINTBOT_{name.upper()}" for name in DEFAULTS} | NON_SETTINGS_VARIABLES
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        for variable in service.get("environment", {}):
            if variable.startswith("COMPLAINTBOT_"):
                assert variable in fields, f"{name}: {variable} is not a setting"
        for dependency in service.get("depends_on", {}).values():
            assert dependency["condition"] in ("service_healthy", "service_started")
    assert services["gateway"]["environment"]["COMPLAINTBOT_ENV"] == "production"
    # Both replicas share one lock store and one tracker store: identical configuration.
    assert services["rasa-1"] == services["rasa-2"]
    assert _profile_variables() <= services["rasa-1"]["environment"].keys()


def test_endpoints_profile_shares_redis_locks_and_a_postgresql_tracker_store() -> None:
    profile = yaml.safe_load(PROFILE.read_text())
    assert profile["lock_store"]["type"] == "redis"
    assert profile["tracker_store"]["type"].lower() == "sql"
    assert profile["tracker_store"]["dialect"] == "postgresql"
    assert profile["action_endpoint"]["url"] == "${COMPLAINTBOT_ACTIONS_URL}/webhook"
    # The development endpoints point at this file by name.
    assert PROFILE.name in (PROJECT_ROOT / "endpoints.yml").read_text()


def test_env_example_lists_every_setting_and_every_compose_variable() -> None:
    example = ENV_EXAMPLE.read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    missing = {f"COMPLAINTBOT_{name.upper()}" for name in DEFAULTS} - listed
    assert not missing, f".env.example lacks {sorted(missing)}"
    interpolated = set(re.findall(r"\$\{(\w+)", COMPOSE.read_text()))
    assert not interpolated - listed, sorted(interpolated - listed)
    # No real secret in the example: every secret line is empty.
    for line in example.splitlines():
        if re.match(r"(COMPLAINTBOT_\w*(TOKEN|SECRET|WEBHOOK)|\w*PASSWORD)=", line):
            assert line.endswith("="), line


def test_docker_compose_config_when_the_plugin_exists(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker CLI")
    if subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("no docker compose plugin")
    env = tmp_path / "deploy.env"
    env.write_text(
        ENV_EXAMPLE.read_text()
        .replace("PASSWORD=\n", "PASSWORD=0123456789abcdef\n")
        .replace("_TOKEN=\n", "_TOKEN=0123456789abcdef0123\n")
    )
    result = subprocess.run(
        [docker, "compose", "--env-file", str(env), "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


class _Status(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802  (the http.server API)
        ok = self.path in ("/health", "/status?token=s3cret")
        self.send_response(200 if ok else 503)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def status_server() -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", 0), _Status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _healthcheck(*args: str, env: dict[str, str]) -> int:
    script = str(PROJECT_ROOT / "deploy" / "healthcheck.py")
    return subprocess.run([sys.executable, script, *args], env=env, timeout=30).returncode


def test_container_healthcheck_script(status_server: int) -> None:
    env = {"PORT": str(status_server), "TOKEN": "s3cret"}
    assert _healthcheck("http://127.0.0.1:${PORT}/health", env=env) == 0
    assert _healthcheck("http://127.0.0.1:${PORT}/healthz", env=env) == 1
    assert _healthcheck("http://127.0.0.1:${PORT}/status", "--token-env", "TOKEN", env=env) == 0
    assert _healthcheck("http://127.0.0.1:${PORT}/status", env=env) == 1
    assert _healthcheck("http://127.0.0.1:1/health", env=env) == 1
    assert _healthcheck(env=env) == 2
