"""Message bodies: what the lead wrote this time, without the quoted thread or the signature.

* HTML becomes text with ``inscriptis`` (block elements and line breaks kept) after ``lxml``
  drops what is never the reply: ``style``/``script``/``head``, ``blockquote`` and the quote
  containers mail clients add (Gmail, Outlook, Yahoo, Apple Mail).
* The quoted thread and the signature are cut by ``mail-parser-reply`` (``On ... wrote:``,
  ``From:``/``Sent:`` headers, ``-----Original Message-----``, ``--`` and "Best regards"
  signatures, "Sent from my iPhone"); lines quoted with ``>`` are dropped.
* SMS and LinkedIn messages are short plain text: only whitespace is tidied.

The raw text and HTML are kept next to the cleaned body (``Message.rawText`` / ``rawHtml``).
"""

from __future__ import annotations

import re

import lxml.html
from inscriptis import Inscriptis
from inscriptis.model.config import ParserConfig
from lxml.etree import ParserError
from mailparser_reply import EmailReplyParser

MAX_BODY_CHARS = 10_000
"""The cleaned body is cut here (the raw text and HTML keep everything)."""
LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pt", "sv"]
_QUOTE_CONTAINERS = (
    "//head|//style|//script|//blockquote"
    "|//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]"
    "|//*[contains(concat(' ', normalize-space(@class), ' '), ' yahoo_quoted ')]"
    "|//*[@id='divRplyFwdMsg' or @id='appendonsend']"
    "|//*[@type='cite']"
)
_BLANK_LINES = re.compile(r"\n{3,}")
_parser = EmailReplyParser(languages=LANGUAGES)


def html_to_text(html: str | None) -> str:
    """The visible text of an HTML body, quoted parts removed."""
    if not html or not html.strip():
        return ""
    try:
        document = lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return ""
    for element in document.xpath(_QUOTE_CONTAINERS):
        element.drop_tree()
    return tidy(Inscriptis(document, ParserConfig()).get_text())


def tidy(text: str) -> str:
    """Strip every line, collapse runs of blank lines, strip the whole."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def latest_reply(text: str) -> str:
    """The newest part of an email body: no quoted thread, no signature, no ``>`` lines."""
    unquoted = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))
    replies = _parser.read(unquoted).replies
    body = tidy(replies[0].body) if replies else ""
    return body or tidy(unquoted)


def clean_body(channel: str, text: str | None, html: str | None) -> str:
    """``Message.body`` for a message that arrived with ``text`` and/or ``html``."""
    if channel != "email":
        return tidy(text or html_to_text(html))[:MAX_BODY_CHARS]
    source = tidy(text or "") or html_to_text(html)
    return latest_reply(source)[:MAX_BODY_CHARS] if source else ""
