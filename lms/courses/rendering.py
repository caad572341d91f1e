"""Markdown → sanitised HTML, done once when a revision is saved; pages serve the stored result."""
from __future__ import annotations

import re
from dataclasses import dataclass

import unicodedata

import markdown
import nh3
from markdown.extensions.toc import slugify as ascii_slugify

ALLOWED_TAGS = {
    "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "b", "i",
    "u", "s", "sub", "sup", "small", "mark", "abbr", "ul", "ol", "li", "dl", "dt", "dd", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "div", "span", "figure", "figcaption",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "abbr": {"title"},
    "ol": {"start"},
    **{f"h{n}": {"id"} for n in range(2, 7)},
    "div": {"class"},
    "span": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
WORD_RE = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class RenderedMarkdown:
    body_html: str
    toc_html: str
    word_count: int


def sanitise_html(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer", strip_comments=True)


def vietnamese_slugify(text: str, separator: str) -> str:
    """Heading anchors in plain ASCII that still read: "Đối tượng" → "doi-tuong" (đ is not a d + accent)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return ascii_slugify(text, separator)


def _new_markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=["tables", "toc", "sane_lists", "fenced_code", "def_list", "abbr"],
        extension_configs={
            "tables": {"use_align_attribute": True},  # style="" would be blocked by the CSP
            "toc": {"toc_depth": "2-3", "title": None, "permalink": False,
                    "slugify": vietnamese_slugify},
        },
        output_format="html",
    )


def render_markdown(source: str) -> RenderedMarkdown:
    md = _new_markdown()
    body = md.convert(source)
    toc = md.toc if md.toc_tokens else ""
    text_only = nh3.clean(body, tags=set())
    return RenderedMarkdown(body_html=sanitise_html(body), toc_html=sanitise_html(toc),
                            word_count=len(WORD_RE.findall(text_only)))


def render_fragment(source: str) -> str:
    """A short piece of Markdown (a question prompt, an explanation): the module pipeline without a TOC."""
    return sanitise_html(_new_markdown().convert(source)) if source.strip() else ""
