"""The app's PDF renderer: WeasyPrint on plain data, in a sandbox, fetching nothing it was not given.

Every document of the app (the unit's Tờ trình, decisions, certificates, council minutes) goes through
``render_pdf``: a template of ``templates/documents/`` is rendered by a sandboxed Jinja environment
(autoescaped, so user text is text, never markup) from a dict of plain values, then laid out by WeasyPrint
with the shared stylesheet ``static/css/documents.css``.

API: ``render_pdf(template, data)`` for a document of ``templates/documents/``; ``render_many`` for many
documents of one template in one PDF; ``render_html(html)`` for a complete HTML string built elsewhere;
``document_html(template, data)`` for the HTML alone. Stylesheets are named by their path under
``static/``, or given as ``CSS`` objects from ``css_from_string`` (rules built from data, such as a
certificate template's page size and field positions).

Resources are fetched by ``SafeURLFetcher`` only: files under the app's ``static/`` folder and ``data:``
URLs. Anything else — ``file://`` elsewhere, ``http(s)://``, ``ftp://`` — is refused, and the document
renders without it (WeasyPrint's default fetcher would read any local file and follow HTTP; a
``<link rel="attachment" href="file:///etc/hostname">`` would embed that file in the PDF).

The stylesheet, the font configuration and the Jinja environment are built once per thread and reused:
they are constants, not state (sharing them roughly halves the memory and time of a batch, see
ENGINEERING.md). Fonts are the system's (Liberation Serif, DejaVu Serif), found by fontconfig, embedded
as subsets by HarfBuzz.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError, path2url

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"
TEMPLATE_DIR = ROOT / "templates" / "documents"
STYLESHEET = "css/documents.css"
GENERATED_STYLESHEETS_KEPT = 32

logger = logging.getLogger(__name__)


class ResourceRefused(URLFetchingError):
    """A document asked for a resource outside what documents may use. WeasyPrint logs it, leaves the
    resource out and goes on rendering."""


class SafeURLFetcher(URLFetcher):
    """Serves files under ``root`` (the static folder) and ``data:`` URLs; refuses everything else.

    No network access is ever attempted: the refusal happens before any opener is called.
    """

    def __init__(self, root: Path = STATIC_DIR, **kwargs: Any) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, **kwargs)
        self.root = root.resolve()

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self._local_path(url)
            if path is not None:
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path2url(path), path.read_bytes(), {"Content-Type": content_type}
                )
        logger.warning("document resource refused: %s", url[:200])
        raise ResourceRefused(f"resource refused (only static files and data: URLs): {url[:200]}")

    def _local_path(self, url: str) -> Path | None:
        """The file ``url`` names when it is a regular file inside the root (symlinks resolved)."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(url2pathname(unquote(parts.path))).resolve()
        except (OSError, ValueError):
            return None
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path


class _Shared(threading.local):
    """Per-thread constants: built on first use, reused by every document the thread renders."""

    fetcher: SafeURLFetcher | None = None
    fonts: FontConfiguration | None = None
    stylesheets: dict[str, CSS]
    generated: OrderedDict[str, CSS]
    environment: SandboxedEnvironment | None = None

    def __init__(self) -> None:
        self.stylesheets = {}
        self.generated = OrderedDict()


_shared = _Shared()


def url_fetcher() -> SafeURLFetcher:
    if _shared.fetcher is None:
        _shared.fetcher = SafeURLFetcher()
    return _shared.fetcher


def font_config() -> FontConfiguration:
    if _shared.fonts is None:
        _shared.fonts = FontConfiguration()
    return _shared.fonts


def stylesheet(name: str = STYLESHEET) -> CSS:
    """The parsed stylesheet ``static/<name>``, shared by every document."""
    css = _shared.stylesheets.get(name)
    if css is None:
        path = (STATIC_DIR / name).resolve()
        if not path.is_relative_to(STATIC_DIR.resolve()):
            raise ValueError(f"stylesheet outside the static folder: {name}")
        css = CSS(
            string=path.read_text(encoding="utf-8"),
            base_url=path2url(path),
            url_fetcher=url_fetcher(),
            font_config=font_config(),
        )
        _shared.stylesheets[name] = css
    return css


def css_from_string(text: str) -> CSS:
    """A stylesheet parsed from ``text``, reused while it is among the thread's last few.

    For rules built from data that a batch repeats on every page (a certificate template's page size and
    field positions): parsed once, shared like the static stylesheets, instead of a ``<style>`` per page,
    which WeasyPrint re-parses each time (ENGINEERING.md: 14 instead of 77 pages/s). Relative URLs in it
    resolve against the static folder.
    """
    css = _shared.generated.get(text)
    if css is None:
        css = CSS(
            string=text,
            base_url=path2url(str(STATIC_DIR) + "/"),
            url_fetcher=url_fetcher(),
            font_config=font_config(),
        )
        _shared.generated[text] = css
        while len(_shared.generated) > GENERATED_STYLESHEETS_KEPT:
            _shared.generated.popitem(last=False)
    else:
        _shared.generated.move_to_end(text)
    return css


def environment() -> SandboxedEnvironment:
    """The sandboxed Jinja environment of document templates (autoescape on, undefined names fail)."""
    if _shared.environment is None:
        env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["two_digits"] = two_digits
        _shared.environment = env
    return _shared.environment


def two_digits(value: int) -> str:
    """Counts and numbers below 10 get a leading zero in administrative documents (05, 12)."""
    return f"{int(value):02d}"


def document_html(template: str, data: Mapping[str, Any]) -> str:
    """The HTML of document ``template`` (a file of ``templates/documents/``) for ``data``."""
    return environment().get_template(template).render(**data)


def render_html(html: str, *, stylesheets: Iterable[str | CSS] = (STYLESHEET,)) -> bytes:
    """Lay out ``html`` as a PDF with the shared stylesheets, fonts and the safe fetcher.

    Relative URLs in ``html`` resolve against the static folder (``img/emblem.png``).
    """
    return document(html, stylesheets).write_pdf()


def render_pdf(
    template: str, data: Mapping[str, Any], *, stylesheets: Iterable[str | CSS] = (STYLESHEET,)
) -> bytes:
    """Render document ``template`` from the plain values in ``data`` to PDF bytes."""
    return render_html(document_html(template, data), stylesheets=stylesheets)


def render_many(
    template: str,
    items: Iterable[Mapping[str, Any]],
    *,
    stylesheets: Iterable[str | CSS] = (STYLESHEET,),
) -> bytes:
    """One PDF holding the documents of ``template`` for each item, in order (certificates, say).

    Each item is laid out as its own document with the shared stylesheet and fonts, and the pages are
    joined. Every page stays in memory until the PDF is written: callers printing hundreds of pages
    should call this per chunk of about 50 items (ENGINEERING.md) and serve or join the chunks.
    """
    sheets = tuple(stylesheets)
    documents = [document(document_html(template, item), sheets) for item in items]
    if not documents:
        raise ValueError("render_many needs at least one item")
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()


def document(html: str, stylesheets: Iterable[str | CSS] = (STYLESHEET,)) -> Any:
    """The laid-out WeasyPrint document of ``html`` (its ``pages`` can be joined with other documents'
    by ``copy``), with the shared stylesheets, fonts and the safe fetcher."""
    return HTML(
        string=html,
        base_url=path2url(str(STATIC_DIR) + "/"),
        url_fetcher=url_fetcher(),
    ).render(
        stylesheets=[
            sheet if isinstance(sheet, CSS) else stylesheet(sheet) for sheet in stylesheets
        ],
        font_config=font_config(),
        presentational_hints=False,
    )
