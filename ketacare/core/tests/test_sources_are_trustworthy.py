"""Every source link shown to patients and clinicians must point at a trustworthy copy.

The Learn pages (/me/learn/) list each entry's sources with their links, so sources.toml must not link
to web proxies, to staging/development/test hosts, to document-sharing copies (scribd) or to random
mirror sites, and no citation may rest on "from memory" author details.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import pytest

from ketacare.core.knowledge import sources
from ketacare.core.knowledge.model import Source

# One label of a host name (split on "." and "-") that marks a non-production deployment.
_NON_PRODUCTION_LABEL = re.compile(
    r"^(dev|develop|development|staging|stage|stg|uat|sit|test|qa|preprod|sandbox)\d*$"
)
# Hosts that only re-publish copies of documents, never the document's publisher.
_BLOCKED_DOMAINS = ("scribd.com", "120ty.net", "mimsdev.com")


def _problem(url: str) -> str | None:
    """Why ``url`` is not a trustworthy link, or None when it is acceptable."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return "has no host"
    labels = [piece for label in host.split(".") for piece in label.split("-")]
    if "proxy" in host or any(seg.startswith(("proxy", "nph-")) for seg in parts.path.lower().split("/")):
        return f"goes through a web proxy ({host})"
    if re.search(r"(^|[=&])\w+=https?:", unquote(parts.query).lower()):
        return f"wraps another URL in its query ({host})"
    if any(_NON_PRODUCTION_LABEL.match(label) for label in labels):
        return f"points at a staging/dev/test host ({host})"
    for domain in _BLOCKED_DOMAINS:
        if host == domain or host.endswith("." + domain):
            return f"points at an untrustworthy copy site ({host})"
    if "scribd" in unquote(url).lower():
        return "points at a scribd copy"
    return None


def _links(source: Source) -> tuple[str, ...]:
    return ((source.url,) if source.url else ()) + source.mirrors


@pytest.mark.parametrize(
    "url",
    [
        "http://www.120ty.net/bencandy.php?aid=58243&fid=134&page=5",
        "https://melakarnets.com/proxy/index.php?q=https%3A%2F%2Fwww.scribd.com%2Fdocument%2F1%2Fx",
        "https://arietiform.com/application/nph-tsq.cgi/en/20/https/www.scribd.com/document/1/x",
        "https://www.scribd.com/document/143076815/Ketamine-Abstract",
        "https://de.scribd.com/document/1/x",
        "https://uat.mimsdev.com/hongkong/drug/info/spravato",
        "https://sit.mimsdev.com/philippines/drug/info/spravato/drug-interactions",
        "https://dev2.psychiatrist.com/jcp/some-article",
        "https://dev.psychiatrist.com/jcp/some-article",
        "https://staging.scite.ai/reports/x",
        "https://develop-sr3snxi-tt7lcx6s5gdv4.us-4.platformsh.site/site/pcn/posters/x",
    ],
)
def test_the_checker_rejects_known_untrustworthy_links(url: str) -> None:
    assert _problem(url) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://doi.org/10.1176/appi.ajp.2019.19020172",
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC9154276",
        "https://www.accessdata.fda.gov/drugsatfda_docs/label/2019/211243lbl.pdf",
        "https://api.fda.gov/drug/ndc.json?search=product_ndc%3A%2250458-028%22",
        "https://www.mims.com/hongkong/drug/info/spravato",
        "https://cssrs.columbia.edu/the-columbia-scale-c-ssrs/triage-c-ssrs/",
        "https://www.sralab.org/rehabilitation-measures/brief-pain-inventory",
    ],
)
def test_the_checker_accepts_authoritative_links(url: str) -> None:
    assert _problem(url) is None


def test_no_source_links_to_a_proxy_staging_host_or_copy_site() -> None:
    bad = [
        f"{source.id}: {url} {problem}"
        for source in sources()
        for url in _links(source)
        if (problem := _problem(url)) is not None
    ]
    assert not bad, "untrustworthy source links in sources.toml:\n" + "\n".join(bad)


def test_no_citation_rests_on_details_from_memory() -> None:
    bad = [
        source.id
        for source in sources()
        if "from memory" in source.citation.lower() or "from memory" in source.note.lower()
    ]
    assert not bad, f"citations with unverified 'from memory' details: {bad}"
