"""``report.html``: one self-contained page an advocate can read, print and hand over.

No JavaScript, no network: CSS is inline and allowed by its hash in a strict
Content-Security-Policy, so even if some device text slipped through as markup a browser
would run no script and load nothing. Autoescape is on, and every value printed passes
through :func:`~stalkerscan.report.sanitize.visible_html` (jinja2 ``finalize``), which also
shows control characters and right-to-left overrides as visible markers and cuts absurdly
long text with a note.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from stalkerscan import __version__
from stalkerscan.model.case import AnalysisResult
from stalkerscan.report.locale import LocalePack, load_locale
from stalkerscan.report.sanitize import (
    DEFAULT_LIMIT,
    LABEL_LIMIT,
    truncation_note,
    visible,
    visible_html,
)
from stalkerscan.report.view import build_view

MEDIUM_LIMIT = 500
"""Longest fact value, evidence detail or custody line shown."""


def _note(pack: LocalePack) -> Callable[[int, int], str]:
    def note(shown: int, total: int) -> str:
        return pack.t("truncated", shown=f"{shown:,}", total=f"{total:,}")
    return note


def _shown(context: Context, value: object, limit: int) -> object:
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return visible_html(value, limit, context.get("note") or truncation_note)


@pass_context
def _finalize(context: Context, value: object) -> object:
    return _shown(context, value, DEFAULT_LIMIT)


@pass_context
def _short(context: Context, value: object) -> object:
    return _shown(context, "" if value is None else str(value), LABEL_LIMIT)


@pass_context
def _medium(context: Context, value: object) -> object:
    return _shown(context, "" if value is None else str(value), MEDIUM_LIMIT)


@pass_context
def _plain(context: Context, value: object) -> Markup:
    # For <title>, which cannot hold markup: markers as plain characters, then escaped.
    return escape(visible("" if value is None else str(value), LABEL_LIMIT,
                          context.get("note") or truncation_note))


def content_security_policy(css: str) -> str:
    """Nothing may load or run; only the one inline stylesheet, by its hash."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
            "base-uri 'none'; form-action 'none'")


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("stalkerscan.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["short"] = _short
    env.filters["medium"] = _medium
    env.filters["plain"] = _plain
    return env


@cache
def _css() -> str:
    env = _environment()
    assert env.loader is not None
    # Browsers hash the stylesheet after turning CR LF into LF; do the same first, or a
    # checkout with Windows line ends would produce an unstyled report.
    return env.loader.get_source(env, "report.css")[0].replace("\r\n", "\n").replace("\r", "\n")


def render_html(result: AnalysisResult, *, locale: LocalePack | None = None) -> str:
    """The complete HTML report for one analysis."""
    pack = locale or load_locale()
    css = _css()
    template = _environment().get_template("report.html.j2")
    return template.render(
        view=build_view(result, pack),
        note=_note(pack),
        # Our own stylesheet and policy, never device text; kept byte for byte so the hash
        # in the policy matches what the browser sees.
        css=Markup(css),  # noqa: S704
        csp=Markup(content_security_policy(css)),  # noqa: S704
        version=__version__,
    )
