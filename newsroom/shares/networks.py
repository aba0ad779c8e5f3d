"""Where each share button sends the reader (no third-party script involved)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from newsroom.articles.models import Article
from newsroom.core.links import absolute_url

from .models import Network

# Each network's public share address; {url} and {text} are filled quoted.
SHARE_TARGETS: dict[str, str] = {
    Network.FACEBOOK: "https://www.facebook.com/sharer/sharer.php?{u}",
    Network.X: "https://x.com/intent/tweet?{url}&{text}",
    Network.LINKEDIN: "https://www.linkedin.com/sharing/share-offsite/?{url}",
    Network.WHATSAPP: "https://wa.me/?{text_url}",
    Network.TELEGRAM: "https://t.me/share/url?{url}&{text}",
    Network.EMAIL: "mailto:?{subject}&{body}",
}

# Button order on the page, as readers expect it.
ORDER: list[str] = [
    Network.FACEBOOK,
    Network.X,
    Network.LINKEDIN,
    Network.WHATSAPP,
    Network.TELEGRAM,
    Network.EMAIL,
    Network.COPY,
]


def share_target(network: str, url: str, text: str) -> str:
    """The address of ``network``'s share dialog for ``url`` with ``text``."""
    template = SHARE_TARGETS[network]

    def q(name: str, value: str) -> str:
        # mailto: wants %20 for spaces, not "+".
        return urlencode({name: value}, quote_via=quote)

    return template.format(
        u=q("u", url),
        url=q("url", url),
        text=q("text", text),
        text_url=q("text", f"{text} {url}"),
        subject=q("subject", text),
        body=q("body", url),
    )


def public_url(article: Article) -> str:
    """The article's address on this site, absolute (what readers share)."""
    return absolute_url(article.get_absolute_url())
