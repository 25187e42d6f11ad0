#!/usr/bin/env python3
"""Extract visible prose text from HTML help pages (stdlib only).

Usage:
    python3 scripts/fetch/extract_help_text.py [-o OUT] PATH [PATH ...]

Each PATH is an .html/.htm/.xhtml file or a directory that is searched
recursively for such files.  Files are processed in sorted (byte-wise path)
order so that the output is deterministic.

Rules (used by scripts/fetch/fetch_corpus.sh to build .corpus/ko_help.txt):
  * Only html.parser from the standard library is used.
  * Text inside <head>, <script>, <style>, <noscript>, <template> and the
    page chrome elements <header>, <nav>, <aside>, <footer> is skipped, as is
    any element carrying the HTML `hidden` attribute and DocBook navigation
    blocks (<div class="navheader|navfooter">).  Image alt text is skipped.
  * Block-level elements (p, div, h1-h6, li, td, th, tr, br, pre, dt, dd, ...)
    end the current paragraph: one paragraph per output line.
  * Runs of HTML whitespace (space, TAB, LF, CR, FF) are collapsed to one
    space and lines are stripped of HTML whitespace.  Other Unicode spaces
    (NBSP, U+3000, ...) are kept verbatim.
  * Empty lines are dropped.  Nothing is deduplicated.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from html.parser import HTMLParser

SKIP_TAGS = {
    "head", "script", "style", "noscript", "template",
    "header", "nav", "aside", "footer",
}
SKIP_CLASSES = {"navheader", "navfooter"}
BLOCK_TAGS = {
    "address", "article", "blockquote", "body", "br", "caption", "center",
    "dd", "details", "dialog", "dir", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "html", "legend", "li", "main", "menu", "ol", "p", "pre",
    "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead",
    "title", "tr", "ul",
}
VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link",
    "meta", "param", "source", "track", "wbr",
}
HTML_WS = re.compile(r"[ \t\n\r\f]+")


class ProseExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._buf: list[str] = []
        self._skip_tag: str | None = None
        self._skip_depth = 0

    # -- helpers -----------------------------------------------------------
    def _flush(self) -> None:
        if self._buf:
            text = HTML_WS.sub(" ", "".join(self._buf)).strip(" ")
            if text:
                self.lines.append(text)
            self._buf = []

    @staticmethod
    def _starts_skip(tag: str, attrs) -> bool:
        if tag in SKIP_TAGS:
            return True
        for name, value in attrs:
            if name == "hidden":
                return True
            if name == "class" and value and SKIP_CLASSES.intersection(value.split()):
                return True
        return False

    # -- parser callbacks ----------------------------------------------------
    def handle_starttag(self, tag, attrs):
        if self._skip_tag is not None:
            if tag == self._skip_tag and tag not in VOID_TAGS:
                self._skip_depth += 1
            return
        if tag not in VOID_TAGS and self._starts_skip(tag, attrs):
            self._flush()
            self._skip_tag = tag
            self._skip_depth = 1
            return
        if tag in BLOCK_TAGS:
            self._flush()

    def handle_startendtag(self, tag, attrs):
        # <br/>, <hr/>, <img/> ... never open a skipped region.
        if self._skip_tag is None and tag in BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag):
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth -= 1
                if self._skip_depth == 0:
                    self._skip_tag = None
            return
        if tag in BLOCK_TAGS:
            self._flush()

    def handle_data(self, data):
        if self._skip_tag is None:
            self._buf.append(data)

    def close(self):
        super().close()
        self._flush()


def extract(html_text: str) -> list[str]:
    parser = ProseExtractor()
    parser.feed(html_text)
    parser.close()
    return parser.lines


def iter_files(paths):
    found = []
    for p in paths:
        if os.path.isdir(p):
            for root, _dirs, files in os.walk(p):
                for f in files:
                    if f.lower().endswith((".html", ".htm", ".xhtml")):
                        found.append(os.path.join(root, f))
        else:
            found.append(p)
    return sorted(found, key=lambda s: s.encode("utf-8", "surrogateescape"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("-o", "--output", help="output file (default: stdout)")
    args = ap.parse_args(argv)

    files = iter_files(args.paths)
    out = open(args.output, "w", encoding="utf-8", newline="\n") if args.output else sys.stdout
    n_lines = 0
    try:
        for path in files:
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8", errors="replace")
            for line in extract(text):
                out.write(line + "\n")
                n_lines += 1
    finally:
        if args.output:
            out.close()
    print(f"extract_help_text: {len(files)} files, {n_lines} lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
