"""What the console's pages share: the app's state, the role check on every route (an
unguessable token in the URL; 404 for an unknown one), CSRF and Origin checks on every
POST, security headers on every response, templates, and form parsing that refuses bad
input with a message."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from drills.console.incidents import Incident, of_family, of_scenario
from drills.console.live import LiveDrills, Scorer
from drills.console.prepare import Preparer
from drills.console.store import Store
from drills.library.family import FamilyFile
from drills.library.scenario import AnswerKey, LoadedScenario, load_key
from drills.play.journal import Journal

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
MAX_CANDIDATES = 50
NAME = re.compile(r"^[\w .'-]{1,60}$")
ROLES = {"facilitator": "ft", "candidate": "ct", "examinee": "et"}  # role: its URL token


class BadInput(Exception):
    """A form field is wrong: shown to the user, nothing changed."""


@dataclass
class Console:
    store: Store
    journal: Journal
    drills: LiveDrills
    scenarios: dict[str, LoadedScenario]
    preparer: Preparer
    families: dict[str, FamilyFile] = field(default_factory=dict)  # symptom families by id
    # answer keys by scenario (or variant) folder: written once, read every refresh
    keys: dict[Path, AnswerKey] = field(default_factory=dict)
    scorer: Scorer = field(init=False)  # set by create_app (it reads `key`)
    # exam markings by the attempt they marked (drills/console/exams.py)
    markings: dict[str, Any] = field(default_factory=dict)

    def key(self, scenario: LoadedScenario) -> AnswerKey:
        """A scenario's (or variant's) answer key, read from its folder once."""
        if scenario.directory not in self.keys:
            self.keys[scenario.directory] = load_key(scenario.directory / "key.yaml", scenario)
        return self.keys[scenario.directory]

    def incident(self, target: str) -> Incident | None:
        """The scenario or symptom family a cohort is for (None: neither is in the
        library); a scenario's id wins over a family's of the same name."""
        if target in self.scenarios:
            return of_scenario(self.scenarios[target])
        if target in self.families:
            return of_family(self.families[target])
        return None

    def incidents(self) -> list[Incident]:
        """What a cohort may be created for: the scenarios, then the symptom families."""
        scenarios = [of_scenario(s) for _, s in sorted(self.scenarios.items())]
        families = [
            of_family(f) for i, f in sorted(self.families.items()) if i not in self.scenarios
        ]
        return scenarios + families

    def knows(self, role: str, token: str) -> bool:
        if role == "facilitator":
            return hmac.compare_digest(token, self.store.facilitator_token)
        if role == "candidate":
            return self.store.candidate(token) is not None
        return self.store.examinee(token) is not None

    def csrf(self, token: str) -> str:
        key = self.store.facilitator_token.encode()
        return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()[:32]


Handler = Callable[[Console, Request], Awaitable[Response]]

# Every response: no inline or foreign script runs (charts are server-drawn SVG; the one
# script is the facilitator's live update, served from this origin, fetching from it), no
# other site frames a page, a join link (a token in the URL) never leaves for another site
# in a Referer (`same-origin`, not `no-referrer`: under that a browser sends a form's own
# POST with `Origin: null`, which the Origin check refuses), nothing is sniffed into
# another type, nothing with a token in it is cached.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; connect-src 'self'; "
        b"style-src 'unsafe-inline'; img-src 'self' data:; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


class SecureHeaders:
    """ASGI middleware: SECURITY_HEADERS on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in SECURITY_HEADERS}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)


class ConsoleApp(Starlette):
    """Starlette with SecureHeaders outermost: even the server's own error pages (a 500
    from its error middleware, a 413 for a body past the limit) carry the headers."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecureHeaders(super().build_middleware_stack())


def guarded_by(c: Console, handler: Handler, role: str) -> Callable[..., Any]:
    """Check the URL's token for the role (404 if unknown: a token is never confirmed to
    exist) and, on a POST, the CSRF token and the Origin."""

    async def endpoint(request: Request) -> Response:
        token = request.path_params[ROLES[role]]
        if not c.knows(role, token):
            return page("error.html", status=404, message="not found")
        if request.method == "POST":
            origin = request.headers.get("origin")
            if origin and urlsplit(origin).netloc != request.url.netloc:
                return page("error.html", status=403, message="cross-site request refused")
            form = await request.form()
            if not hmac.compare_digest(str(form.get("csrf", "")), c.csrf(token)):
                return page("error.html", status=403, message="the form has expired: reload")
        return await handler(c, request)

    return endpoint


def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(TEMPLATES.get_template(name).render(**context), status_code=status)


def names_of(form: Any) -> list[str]:
    """The candidates a facilitator typed, one per line."""
    names = [n.strip() for n in str(form.get("candidates", "")).splitlines() if n.strip()]
    if not 1 <= len(names) <= MAX_CANDIDATES:
        raise BadInput(f"candidates: one name per line, 1 to {MAX_CANDIDATES}")
    bad = [n for n in names if not NAME.match(n)]
    if bad or len(set(names)) != len(names):
        raise BadInput(f"candidates: distinct names of letters, digits, spaces (not {bad})")
    return names


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
