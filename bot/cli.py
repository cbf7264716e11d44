"""`complaintbot`: run the stack, train, chat, migrate, review what the bot missed."""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import subprocess
import sys
import time
import uuid
from types import FrameType
from typing import TYPE_CHECKING

from bot.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from datetime import timedelta

    from sqlalchemy.orm import Session, sessionmaker

    from bot.config import Settings
    from bot.handoff.queue import HandoffQueue

# Copies, so `complaintbot --help` imports no models; a test keeps them equal to the models.
CHANNEL_CHOICES = ("telegram", "webchat", "rest")
ROLE_CHOICES = ("agent", "supervisor", "admin")
CATEGORY_CHOICES = ("product_quality", "service_attitude", "delivery", "billing", "after_sales",
                    "safety", "privacy", "suggestion", "other")  # fmt: skip


def _say(message: str) -> None:
    print(f"\033[1m[complaintbot]\033[0m {message}", flush=True)


def cmd_train(_args: argparse.Namespace) -> int:
    from bot.model import ensure_model

    ensure_model(PROJECT_ROOT, _say)
    return 0


def cmd_validate(_args: argparse.Namespace) -> int:
    from bot.model import rasa_validate

    return rasa_validate(PROJECT_ROOT, timeout=3600).returncode


def cmd_db(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.db import upgrade

    settings = load_settings()
    upgrade(settings.database_url, args.revision)
    _say(f"database at revision {args.revision}")
    return 0


def _database() -> tuple[Settings, sessionmaker[Session]]:
    """Settings and a session factory on a database migrated to head."""
    from bot.config import load_settings
    from bot.db import make_engine, make_session_factory, upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    return settings, make_session_factory(make_engine(settings.database_url))


def cmd_customer_forget(args: argparse.Namespace) -> int:
    """Erases a customer's personal data here and in Rasa's tracker store."""
    from sqlalchemy import text

    from bot.clock import utcnow
    from bot.customers.forget import (
        delete_evidence_files,
        forget_customer,
        forget_in_tracker_store,
        tracker_key,
    )
    from bot.db import transaction
    from bot.tickets.audit import Actor
    from bot.tickets.models import CHANNELS

    settings, sessions = _database()
    actor = Actor.operator(args.operator or getpass.getuser())
    with transaction(sessions) as session:
        report = forget_customer(
            session, sender_id=args.sender, channel=args.channel, actor=actor, now=utcnow()
        )
    # Committed: the files of the deleted evidence rows go too.
    files = delete_evidence_files(settings.var_dir / "evidence", report.evidence_files)
    if settings.is_sqlite:
        with sessions() as session:  # fold the WAL into the file: no old text left there
            session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    channels = [args.channel] if args.channel else list(CHANNELS)
    tracker_store = (
        args.tracker_store
        or os.environ.get("COMPLAINTBOT_RASA_TRACKER_DB")
        or settings.var_dir / "rasa_tracker.db"
    )
    tracker_rows = forget_in_tracker_store(
        tracker_store, [tracker_key(channel, args.sender) for channel in channels]
    )
    if not report.found and not tracker_rows:
        _say("nothing stored for that sender (wrong channel, or already forgotten?)")
        return 1
    _say(
        f"forgotten: {report.customers} customer record(s), {report.tickets} ticket(s) "
        f"anonymised, {report.messages} message(s) redacted, {tracker_rows} Rasa tracker "
        f"event(s) deleted, {report.evidence} evidence item(s) and {files} file(s) deleted; "
        f"audited as {actor.name}"
    )
    return 0


class PasswordError(ValueError):
    """No usable password was given."""


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at a prompt."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise PasswordError("no password on standard input")
        return line.rstrip("\r\n")
    first = getpass.getpass("New console password: ")
    if getpass.getpass("Again: ") != first:
        raise PasswordError("the two passwords differ; nothing changed")
    return first


def cmd_agents_add(args: argparse.Namespace) -> int:
    from bot.agents.passwords import check_password_rules, set_password
    from bot.agents.service import AgentError, create_agent
    from bot.clock import utcnow
    from bot.db import transaction

    _settings, sessions = _database()
    try:
        password = _read_password(True) if args.password_stdin else None
        if password is not None:
            check_password_rules(password)  # before the agent exists: all or nothing
        with transaction(sessions) as session:
            agent, token = create_agent(
                session,
                username=args.name,
                role=args.role,
                display_name=args.display_name,
                now=utcnow(),
            )
            if password is not None:
                set_password(session, username=agent.username, password=password)
            username, role = agent.username, agent.role
    except (AgentError, PasswordError) as exc:
        print(f"complaintbot: {exc}", file=sys.stderr)
        return 2
    with_password = " with a console password" if args.password_stdin else ""
    _say(f"agent {username} ({role}) created{with_password}. API token, shown only this once:")
    print(token, flush=True)
    return 0


def cmd_agents_list(_args: argparse.Namespace) -> int:
    from bot.agents.service import list_agents

    _settings, sessions = _database()
    with sessions() as session:
        agents = list_agents(session)
        for agent in agents:
            state = "active" if agent.active else "inactive"
            telegram = f"  telegram:{agent.telegram_user_id}" if agent.telegram_user_id else ""
            print(
                f"{agent.username:<20} {agent.role:<11} {state:<9} {agent.display_name}{telegram}"
            )
    if not agents:
        _say("no agents yet: complaintbot agents add NAME --role agent")
    return 0


def cmd_agents_rotate(args: argparse.Namespace) -> int:
    from bot.agents.service import AgentError, rotate_token
    from bot.db import transaction

    _settings, sessions = _database()
    try:
        with transaction(sessions) as session:
            token = rotate_token(session, username=args.name)
    except AgentError as exc:
        print(f"complaintbot: {exc}", file=sys.stderr)
        return 2
    _say(f"new API token for {args.name} (the old one no longer works), shown only once:")
    print(token, flush=True)
    return 0


def cmd_agents_set_password(args: argparse.Namespace) -> int:
    from bot.agents.passwords import set_password
    from bot.agents.service import AgentError
    from bot.db import transaction

    _settings, sessions = _database()
    try:
        password = _read_password(args.password_stdin)
        with transaction(sessions) as session:
            username = set_password(session, username=args.name, password=password).username
    except (AgentError, PasswordError) as exc:
        print(f"complaintbot: {exc}", file=sys.stderr)
        return 2
    _say(f"console password of {username} set")
    return 0


def cmd_agents_link_telegram(args: argparse.Namespace) -> int:
    from bot.agents.service import AgentError, link_telegram
    from bot.db import transaction

    user_id: int | None = None
    if not args.unlink:
        if args.telegram_user_id is None or not args.telegram_user_id.isdigit():
            print(
                "complaintbot: give the Telegram user id (digits; the bot tells an unlinked "
                "agent theirs in the group), or --unlink",
                file=sys.stderr,
            )
            return 2
        user_id = int(args.telegram_user_id)
    _settings, sessions = _database()
    try:
        with transaction(sessions) as session:
            username = link_telegram(session, username=args.name, telegram_user_id=user_id).username
    except AgentError as exc:
        print(f"complaintbot: {exc}", file=sys.stderr)
        return 2
    if user_id is None:
        _say(f"agent {username} unlinked from Telegram")
    else:
        _say(f"agent {username} linked to Telegram user {user_id}: they can claim and answer "
             "tickets from the agents' group")  # fmt: skip
    return 0


def cmd_agents_deactivate(args: argparse.Namespace) -> int:
    from bot.agents.service import AgentError, deactivate_agent
    from bot.db import transaction

    _settings, sessions = _database()
    try:
        with transaction(sessions) as session:
            deactivate_agent(session, username=args.name)
    except AgentError as exc:
        print(f"complaintbot: {exc}", file=sys.stderr)
        return 2
    _say(f"agent {args.name} deactivated; their token no longer works")
    return 0


def _queue() -> HandoffQueue:
    """The handoff queue these settings use (Redis when COMPLAINTBOT_REDIS_URL is set)."""
    from bot.handoff.queue import make_queue

    settings, sessions = _database()
    return make_queue(settings, sessions)


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def cmd_queue_rebuild(_args: argparse.Namespace) -> int:
    """Restores the Redis queue from the database, the source of truth."""
    import redis

    queue = _queue()
    try:
        if queue.backend != "redis":
            _say(f"no Redis configured (COMPLAINTBOT_REDIS_URL): the queue is the database, "
                 f"{queue.length()} item(s); nothing to rebuild")  # fmt: skip
            return 0
        try:
            count = queue.rebuild()
        except redis.RedisError as exc:
            print(
                f"complaintbot: Redis not reachable ({type(exc).__name__}: {exc})", file=sys.stderr
            )
            return 1
    finally:
        queue.close()
    _say(f"Redis queue rebuilt from the database: {count} item(s)")
    return 0


def cmd_queue_list(_args: argparse.Namespace) -> int:
    from bot.clock import utcnow

    queue = _queue()
    now = utcnow()
    try:
        items = queue.items()
        agents = queue.on_duty(now=now)
    finally:
        queue.close()
    if items:
        print(f"{'#':>4}  {'ticket':<18} {'severity':<8} {'boost':>5}  {'team':<12} waiting")
    for position, item in enumerate(items, start=1):
        print(f"{position:>4}  {item.ticket_id:<18} {item.severity:<8} {item.boost:>5}  "
              f"{item.team or '-':<12} {_duration(item.waiting(now))}")  # fmt: skip
    _say(f"{len(items)} waiting ({queue.backend} queue); {len(agents)} agent(s) on duty")
    return 0


def cmd_actions(_args: argparse.Namespace) -> int:
    """Runs the action server bound to loopback."""
    from bot.config import load_settings

    settings = load_settings()
    os.environ.setdefault("SANIC_HOST", "127.0.0.1")
    command = [sys.executable, "-m", "rasa_sdk", "--actions", "actions",
               "-p", str(settings.actions_port)]  # fmt: skip
    return subprocess.run(command, cwd=PROJECT_ROOT).returncode


def cmd_gateway(_args: argparse.Namespace) -> int:
    import uvicorn

    from bot.config import load_settings

    settings = load_settings()
    uvicorn.run(
        "bot.web.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        access_log=False,
    )
    return 0


def cmd_run(_args: argparse.Namespace) -> int:
    from bot.config import ensure_secrets, load_settings
    from bot.db import upgrade
    from bot.model import ensure_model
    from bot.stack import Stack, StackError

    settings, sources = ensure_secrets(load_settings())
    model = ensure_model(PROJECT_ROOT, _say)
    upgrade(settings.database_url)
    stack = Stack(settings, model, PROJECT_ROOT)

    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    _say("starting action server, Rasa (about a minute to load the model) and gateway; "
         f"logs in {settings.var_dir / 'logs'}")  # fmt: skip
    try:
        stack.start(_say, should_stop=lambda: stopping)
    except StackError as exc:
        _say(f"start-up stopped: {exc}")
        return 1
    base = f"http://{settings.host}:{settings.port}"
    token_note = (
        f"API token in {sources[0]}" if sources else "API token from COMPLAINTBOT_API_TOKEN"
    )
    _say("ready:")
    print(f"    REST channel   POST {base}/webhooks/rest/webhook")
    print(f"    tickets API    GET  {base}/api/tickets?sender_id=...   ({token_note})")
    print(f"    health         GET  {base}/healthz")
    print(f"    API docs            {base}/docs")
    print(
        f"    Rasa (internal)     http://127.0.0.1:{settings.rasa_port} (token in var/rasa_token)"
    )
    print("    try it:        make chat   (in another terminal)")
    print("    stop:          Ctrl-C", flush=True)
    try:
        while not stopping:
            dead = stack.dead()
            if dead:
                _say(f"{dead[0].name} stopped unexpectedly:\n{dead[0].log_tail()}")
                return 1
            time.sleep(1.0)
    finally:
        _say("stopping ...")
        stack.stop()
        _say("stopped")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """A terminal client for the gateway's REST channel."""
    import httpx

    from bot.config import load_settings

    settings = load_settings()
    url = args.url or f"http://127.0.0.1:{settings.port}"
    sender = args.sender or f"cli-{uuid.uuid4().hex[:8]}"
    print(f"chatting with {url} as {sender}. Type a message (Chinese or English); "
          "a number picks a button; Ctrl-D quits.")  # fmt: skip
    buttons: list[dict[str, str]] = []
    # The REST channel's integration token, when the gateway requires one.
    headers = (
        {"Authorization": f"Bearer {settings.rest_token.get_secret_value()}"}
        if settings.rest_token is not None
        else {}
    )
    with httpx.Client(base_url=url, timeout=60.0, headers=headers) as client:
        while True:
            try:
                line = input("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if not line:
                continue
            if line.isdigit() and 1 <= int(line) <= len(buttons):
                line = buttons[int(line) - 1]["payload"]
            try:
                response = client.post(
                    "/webhooks/rest/webhook", json={"sender": sender, "message": line}
                )
            except httpx.HTTPError as exc:
                print(f"(gateway not reachable at {url}: {type(exc).__name__}; is `make run` up?)")
                continue
            if response.status_code != 200:
                print(f"(gateway answered {response.status_code}: {response.text[:200]})")
                continue
            buttons = []
            for reply in response.json():
                for text_line in (reply.get("text") or "").splitlines():
                    print(f"bot> {text_line}")
                for button in reply.get("buttons") or []:
                    buttons.append(button)
                    print(f"     [{len(buttons)}] {button.get('title')}")
    return 0


def cmd_nlu_review(args: argparse.Namespace) -> int:
    """Writes recent low-confidence and fallback messages into a file ready to label."""
    from pathlib import Path

    from bot.clock import utcnow
    from bot.config import load_settings
    from bot.training.review import ReviewError, build_review, parse_since

    settings = load_settings()
    location = (
        args.tracker_store
        or os.environ.get("COMPLAINTBOT_RASA_TRACKER_DB")
        or str(settings.var_dir / "rasa_tracker.db")
    )
    now = utcnow()
    try:
        text, report = build_review(
            location,
            since=parse_since(args.since),
            threshold=args.threshold,
            limit=args.limit,
            nlu_dir=PROJECT_ROOT / "data" / "nlu",
            now=now,
        )
    except ReviewError as exc:
        print(f"complaintbot: {exc}", file=sys.stderr)
        return 2
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    out = Path(args.out) if args.out else settings.var_dir / f"nlu_review-{now:%Y%m%d-%H%M}.yml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    _say(
        f"{len(report.items)} message(s) to review ({report.fallbacks} not understood) of "
        f"{report.scanned} in the last {args.since}, written to {out}; label them as "
        "docs/TRAINING.md explains"
    )
    return 0


def cmd_nlu_merge(args: argparse.Namespace) -> int:
    """Moves the reviewed items of an `nlu review` file into data/nlu/."""
    from pathlib import Path

    from bot.training.merge import MergeError, merge

    review_file = Path(args.file)
    if not review_file.is_file():
        print(f"complaintbot: {review_file} is not a file", file=sys.stderr)
        return 2
    try:
        report = merge(
            review_file,
            PROJECT_ROOT / "data" / "nlu",
            PROJECT_ROOT / "domain.yml",
            dry_run=args.dry_run,
        )
    except MergeError as exc:
        print(f"complaintbot: {review_file}: {exc}", file=sys.stderr)
        return 2
    if report.errors:
        print(f"complaintbot: nothing merged; fix these in {review_file}:", file=sys.stderr)
        for error in report.errors:
            print(f"  {error}", file=sys.stderr)
        return 2
    verb = "would add" if args.dry_run else "added"
    for path, count in sorted(report.added.items()):
        _say(f"{verb} {count} line(s) to {Path(path).relative_to(PROJECT_ROOT)}")
    _say(
        f"{report.total} line(s) {verb}; {report.duplicates} already in data/nlu; "
        f"{report.unreviewed} item(s) still marked '# review:' "
        + ("left in the file" if report.unreviewed else "(none: the review file is done)")
        + ("" if args.dry_run else "; next: make validate, make train, make evaluate")
    )
    return 0


def _since(text: str) -> int:
    """`30d` (or `30`): a number of days, 1 to 731."""
    days = text[:-1] if text.endswith("d") else text
    if not days.isdigit() or not 1 <= int(days) <= 731:
        raise argparse.ArgumentTypeError("expected a number of days, e.g. 30d (1 to 731)")
    return int(days)


def cmd_report(args: argparse.Namespace) -> int:
    import json
    from datetime import UTC, datetime, timedelta

    from bot.analytics import export
    from bot.analytics.figures import Filters, summary

    _settings, sessions = _database()
    today = datetime.now(UTC).date()
    filters = Filters.days(
        today - timedelta(days=args.since - 1),
        today,
        category=args.category,
        channel=args.channel,
        language=args.language,
    )
    with sessions() as session:
        found = summary(session, filters)
    if args.format == "json":
        text = json.dumps(found, ensure_ascii=False, indent=2) + "\n"
    elif args.format == "csv":
        text = export.to_csv(found)
    else:
        text = export.to_markdown(found)
    sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="complaintbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="train if needed, start Rasa + actions + gateway").set_defaults(
        func=cmd_run
    )
    sub.add_parser("train", help="train the model unless an identical one is cached").set_defaults(
        func=cmd_train
    )
    sub.add_parser("validate", help="rasa data validate").set_defaults(func=cmd_validate)
    sub.add_parser("gateway", help="run only the gateway").set_defaults(func=cmd_gateway)
    sub.add_parser("actions", help="run only the action server").set_defaults(func=cmd_actions)
    chat = sub.add_parser("chat", help="talk to the running gateway from the terminal")
    chat.add_argument("--url", help="gateway URL (default http://127.0.0.1:$COMPLAINTBOT_PORT)")
    chat.add_argument("--sender", help="conversation id (default: a new random one)")
    chat.set_defaults(func=cmd_chat)
    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply migrations (default: to head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db)

    customer = sub.add_parser("customer", help="customers' personal data")
    customer_sub = customer.add_subparsers(dest="customer_command", required=True)
    forget = customer_sub.add_parser(
        "forget", help="erase a customer's personal data (tickets kept anonymised, audited)"
    )
    forget.add_argument("sender", help="the customer's sender id on the channel")
    forget.add_argument("--channel", choices=CHANNEL_CHOICES, help="only this channel")
    forget.add_argument("--operator", help="who asked for it, for the audit trail ($USER)")
    forget.add_argument(
        "--tracker-store",
        help="Rasa's tracker store to delete the conversation from: a SQLite file or a "
        "database URL such as postgresql://USER:PASSWORD@HOST:5432/rasa "
        "($COMPLAINTBOT_RASA_TRACKER_DB, else var/rasa_tracker.db)",
    )
    forget.set_defaults(func=cmd_customer_forget)

    agents = sub.add_parser("agents", help="agents, their API tokens and console passwords")
    agents_sub = agents.add_subparsers(dest="agents_command", required=True)
    add = agents_sub.add_parser("add", help="create an agent; prints their API token once")
    add.add_argument("name", help="username: lower-case letters, digits, . _ -")
    add.add_argument("--role", choices=ROLE_CHOICES, default="agent")
    add.add_argument("--display-name", help="the name customers see (default: the username)")
    add.add_argument(
        "--password-stdin", action="store_true", help="read a console password from stdin"
    )
    add.set_defaults(func=cmd_agents_add)
    set_pw = agents_sub.add_parser(
        "set-password", help="set an agent's console password (asked twice, or from stdin)"
    )
    set_pw.add_argument("name")
    set_pw.add_argument(
        "--password-stdin", action="store_true", help="read the password's first line from stdin"
    )
    set_pw.set_defaults(func=cmd_agents_set_password)
    agents_sub.add_parser("list", help="list agents").set_defaults(func=cmd_agents_list)
    rotate = agents_sub.add_parser("rotate-token", help="issue a new token, revoking the old")
    rotate.add_argument("name")
    rotate.set_defaults(func=cmd_agents_rotate)
    link = agents_sub.add_parser(
        "link-telegram",
        help="let an agent claim and answer tickets from the agents' Telegram group",
    )
    link.add_argument("name")
    link.add_argument(
        "telegram_user_id", nargs="?", help="their numeric Telegram user id (the bot tells them)"
    )
    link.add_argument("--unlink", action="store_true", help="remove the agent's link")
    link.set_defaults(func=cmd_agents_link_telegram)
    deactivate = agents_sub.add_parser("deactivate", help="revoke an agent's access")
    deactivate.add_argument("name")
    deactivate.set_defaults(func=cmd_agents_deactivate)

    queue = sub.add_parser("queue", help="the human-handoff queue")
    queue_sub = queue.add_subparsers(dest="queue_command", required=True)
    queue_sub.add_parser(
        "list", help="waiting tickets in order: position, ticket, severity, waiting time"
    ).set_defaults(func=cmd_queue_list)
    queue_sub.add_parser(
        "rebuild", help="restore the Redis queue from the database; prints how many items"
    ).set_defaults(func=cmd_queue_rebuild)

    nlu = sub.add_parser("nlu", help="trainers' tools for the NLU training data")
    nlu_sub = nlu.add_subparsers(dest="nlu_command", required=True)
    review = nlu_sub.add_parser(
        "review",
        help="export recent low-confidence and not-understood messages (masked) to label",
    )
    review.add_argument("--since", default="7d", help="how far back: 90m, 24h, 7d, 2w (7d)")
    review.add_argument(
        "--threshold", type=float, default=0.6, help="review guesses below this confidence (0.6)"
    )
    review.add_argument("--limit", type=int, default=200, help="at most this many messages (200)")
    review.add_argument(
        "--out", help="file to write, - for standard output (var/nlu_review-DATE.yml)"
    )
    review.add_argument(
        "--tracker-store",
        help="Rasa's tracker store: a SQLite file or a database URL "
        "($COMPLAINTBOT_RASA_TRACKER_DB, else var/rasa_tracker.db)",
    )
    review.set_defaults(func=cmd_nlu_review)
    merge = nlu_sub.add_parser(
        "merge",
        help="move the reviewed items of a review file into data/nlu (validated, de-duplicated)",
    )
    merge.add_argument("file", help="a file written by `complaintbot nlu review`, labelled")
    merge.add_argument(
        "--dry-run", action="store_true", help="say what would change, change nothing"
    )
    merge.set_defaults(func=cmd_nlu_merge)

    report = sub.add_parser(
        "report", help="the analytics summary (the dashboard's figures) on standard output"
    )
    report.add_argument(
        "--since", type=_since, default=30, help="the last N days, today included (default 30d)"
    )
    report.add_argument("--format", choices=("md", "json", "csv"), default="md")
    report.add_argument("--category", choices=CATEGORY_CHOICES)
    report.add_argument("--channel", choices=CHANNEL_CHOICES)
    report.add_argument("--language", choices=("zh", "en"))
    report.set_defaults(func=cmd_report)

    args = parser.parse_args(argv)
    from bot.config import SettingsError

    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(f"complaintbot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
