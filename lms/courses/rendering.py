"""Markdown → sanitised HTML, done once when a revision is saved; pages serve the stored result."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from posixpath import normpath
from urllib.parse import urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.toc import slugify as ascii_slugify
from markdown.treeprocessors import Treeprocessor

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
# Files a module may link to or show from its course folder, served with these types.
COURSE_FILE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                     ".webp": "image/webp", ".pdf": "application/pdf"}
COURSE_FILE_MAX_BYTES = 5 * 1024 * 1024


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


@dataclass(frozen=True)
class Reference:
    """A link (`a href`) or image (`img src`) written in a module, as the author wrote it."""

    kind: str  # "link" or "image"
    url: str


def is_local(url: str) -> bool:
    """A path inside the course folder: no scheme, not an in-page anchor, not site-absolute."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and not url.startswith(("#", "/")) and bool(parts.path)


def local_path(url: str) -> str | None:
    """The course-folder path a local reference names, or None when it climbs out of the folder."""
    path = normpath(urlsplit(url).path)
    return None if path.startswith("../") or path in {".", ".."} else path


@dataclass(frozen=True)
class CourseLinks:
    """How local references are served: a module file becomes that module's page, any other file the
    course-file route. Both are relative to the module page (/courses/<slug>/modules/<key>), so they work
    under any URL prefix the deployment uses."""

    module_keys: dict[str, str] = field(default_factory=dict)   # module file name -> module id
    file_digests: dict[str, str] = field(default_factory=dict)  # course-folder path -> sha256 of its bytes

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        path = local_path(url)
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        if path in self.module_keys:
            return self.module_keys[path] + fragment
        if path in self.file_digests:
            return f"../files/{self.file_digests[path][:32]}/{path.rsplit('/', 1)[-1]}"
        return url


class _CourseLinkProcessor(Treeprocessor):
    def __init__(self, md: markdown.Markdown, links: CourseLinks):
        super().__init__(md)
        self.links = links

    def run(self, root):
        for element in root.iter():
            attribute = {"a": "href", "img": "src"}.get(element.tag)
            url = element.get(attribute) if attribute else None
            if url and is_local(url):
                element.set(attribute, self.links.rewrite(url))


class _CourseLinkExtension(Extension):
    def __init__(self, links: CourseLinks):
        super().__init__()
        self.links = links

    def extendMarkdown(self, md):  # noqa: N802 - Markdown's API
        # After the inline processor (priority 20) has turned [text](url) into elements.
        md.treeprocessors.register(_CourseLinkProcessor(md, self.links), "course_links", 1)


class _ReferenceCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.references: list[Reference] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.references.append(Reference("link", values["href"]))
        elif tag == "img":
            self.references.append(Reference("image", values.get("src") or ""))
        if values.get("id"):
            self.ids.add(values["id"])


def references_and_anchors(source: str) -> tuple[list[Reference], set[str]]:
    """Every link and image of a module, and the anchors (heading ids) it offers to links."""
    collector = _ReferenceCollector()
    collector.feed(_new_markdown().convert(source))
    return collector.references, collector.ids


def _new_markdown(links: CourseLinks | None = None) -> markdown.Markdown:
    extensions = ["tables", "toc", "sane_lists", "fenced_code", "def_list", "abbr"]
    if links is not None:
        extensions.append(_CourseLinkExtension(links))
    return markdown.Markdown(
        extensions=extensions,
        extension_configs={
            "tables": {"use_align_attribute": True},  # style="" would be blocked by the CSP
            "toc": {"toc_depth": "2-3", "title": None, "permalink": False,
                    "slugify": vietnamese_slugify},
        },
        output_format="html",
    )


def render_markdown(source: str, links: CourseLinks | None = None) -> RenderedMarkdown:
    md = _new_markdown(links)
    body = md.convert(source)
    toc = md.toc if md.toc_tokens else ""
    text_only = nh3.clean(body, tags=set())
    return RenderedMarkdown(body_html=sanitise_html(body), toc_html=sanitise_html(toc),
                            word_count=len(WORD_RE.findall(text_only)))


def render_fragment(source: str) -> str:
    """A short piece of Markdown (a question prompt, an explanation): the module pipeline without a TOC."""
    return sanitise_html(_new_markdown().convert(source)) if source.strip() else ""
