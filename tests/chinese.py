"""The check that a message a user reads is Chinese: no English sentence, no traceback.

Code a message quotes (options, field names, codes, paths, file names, values the user typed)
is not English prose and is allowed; two English words in a row that are not such code, or one
of the words Click and argparse start their messages with, are.
"""

from __future__ import annotations

import re

#: Words that are names, not English: commands, formats, products, codes a message may quote.
ALLOWED = {
    "hub", "init", "publish", "retry", "status", "audit", "receipts", "channels", "sandbox",
    "verify", "report", "annual", "credit", "export", "proof", "check", "mark", "uploaded",
    "withdraw", "expire", "serve", "users", "board", "confirm", "help", "json", "dry", "run",
    "JSON", "TOML", "UTF", "Markdown", "RSS", "Atom", "CMS", "URL", "ID", "API", "HTTP",
    "HTTPS", "PDF", "Word", "WPS", "Excel", "PowerPoint", "ZIP", "RAR", "gzip", "PNG", "JPEG",
    "GIF", "BMP", "TIFF", "WebP", "OFD", "RTF", "OpenDocument", "Office", "OLE", "BOM", "UUID",
    "SQLite", "PostgreSQL", "Windows", "YYYY", "MM", "DD", "PATH", "NAME", "FILES", "FILE",
    "DIR", "DIRECTORY", "INDEX_NO", "INDEX_NOS", "SEQ", "RECEIPT", "CHECKPOINT", "VKEY",
    "true", "false", "portal", "rss", "wechat", "weibo", "docs", "md",
    "state_dir", "org_code", "name", "site_code", "public_url", "posting_days", "HUB_CONFIG",
    "Version", "version",
}
#: Words Click and argparse begin their English messages with: one alone is enough.
TELLTALE = {"Usage", "usage", "Error", "error", "Options", "options", "Commands", "Try",
            "Missing", "Invalid", "invalid", "Traceback", "Show", "unrecognized", "Aborted",
            "required", "expected", "such", "exit", "Did", "mean", "arguments", "argument"}

# Code a message may quote: quoted values, options, paths, dotted or underscored names.
_CODE = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|--?[\w-]+|\S*[/\\.=_$@]\S*|\[[^\]]*\]")
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def english_in(text: str) -> list[str]:
    """The English phrases (and telltale words) in ``text``; empty when it is Chinese."""
    found: list[str] = []
    for line in _ANSI.sub("", text).splitlines():
        if line.startswith("HUB_TEST_"):
            continue  # the crash points' trace lines for the tests (delivery/crash.py)
        if "Traceback" in line:
            found.append(line)
            continue
        words = _CODE.sub(" | ", line)
        run: list[str] = []
        for token in re.split(r"(\s+)", words):
            if token.isspace() or not token:
                continue
            m = _WORD.fullmatch(token.strip(",;:!?()（）。，：；、"))
            word = m.group(0) if m else None
            if word and word in TELLTALE:
                found.append(f"{word}（{line.strip()}）")
            if word and word not in ALLOWED and len(word) > 1:
                run.append(word)
                if len(run) >= 2:
                    found.append(" ".join(run) + f"（{line.strip()}）")
                    run = []
            else:
                run = []
    return found
