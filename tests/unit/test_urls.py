from __future__ import annotations

import pytest

from api.urls import CredentialsInURL, InvalidURL, normalise_url


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("https://example.org/", "https://example.org/"),
        ("https://example.org", "https://example.org/"),
        ("HTTPS://Example.ORG/Path", "https://example.org/Path"),  # the path keeps its case
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("http://example.org:443/a", "http://example.org:443/a"),
        ("https://example.org/a/#section", "https://example.org/a"),
        ("https://example.org/a/b/", "https://example.org/a/b"),
        ("https://example.org//", "https://example.org/"),
        ("https://example.org/?b=2&a=1", "https://example.org/?a=1&b=2"),
        ("https://example.org/a?b=2&a=3&a=1", "https://example.org/a?a=1&a=3&b=2"),
        (
            "https://example.org/a?utm_source=x&utm_MEDIUM=y&fbclid=z&gclid=1&id=7",
            "https://example.org/a?id=7",
        ),
        ("https://example.org/a?UTM_Source=x", "https://example.org/a"),
        ("https://example.org/a?q=a+b", "https://example.org/a?q=a%20b"),
        ("https://example.org/a?q=", "https://example.org/a?q="),
        ("  https://example.org/a  ", "https://example.org/a"),
        ("https://example.org./a", "https://example.org/a"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://example.org/straße", "https://example.org/stra%C3%9Fe"),
        ("https://example.org/stra%c3%9fe", "https://example.org/stra%C3%9Fe"),
        ("https://example.org/a%7Eb", "https://example.org/a~b"),
        ("https://example.org/a%2Fb", "https://example.org/a%2Fb"),  # an escaped slash is not a slash
        ("https://example.org/100%25", "https://example.org/100%25"),
        ("https://example.org/a b", "https://example.org/a%20b"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("http://127.0.0.1:8000/x", "http://127.0.0.1:8000/x"),
        ("https://my_host.example.org/", "https://my_host.example.org/"),
        ("https://" + "a" * 63 + ".example/", "https://" + "a" * 63 + ".example/"),
    ],
)
def test_normalise(raw: str, normalised: str) -> None:
    assert normalise_url(raw) == normalised


@pytest.mark.parametrize(
    "raw",
    [
        "https://example.org/a%2541",
        "https://example.org/a%41",
        "https://example.org/100%",
        "https://example.org/%zz",
        "https://example.org/%FF",
        "https://example.org/a?x=%2541&y=%26",
        "HTTPS://Example.ORG:443/press/1/?b=2&a=1&utm_source=x#top",
        "https://bücher.example/straße?ä=ö",
    ],
)
def test_normalising_twice_changes_nothing(raw: str) -> None:
    once = normalise_url(raw)
    assert normalise_url(once) == once


def test_distinct_documents_stay_distinct() -> None:
    assert normalise_url("https://example.org/a%2541") != normalise_url("https://example.org/aA")
    assert normalise_url("https://example.org/a%2Fb") != normalise_url("https://example.org/a/b")
    assert normalise_url("https://example.org/a?x=1") != normalise_url("https://example.org/a?x=2")
    assert normalise_url("http://example.org/a") != normalise_url("https://example.org/a")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "example.org/a",
        "ftp://example.org/a",
        "mailto:desk@example.org",
        "javascript:alert(1)",
        "https://",
        "https:///path",
        "https://example.org:99999/",
        "https://example.org:port/",
        "https://[::1/",
        "https://a..b/",
        "https://xn--/",
        "https://-example.org/",
        "https://ex!ample.org/",
        "https://ex%41mple.org/",
        "https://" + "a" * 64 + ".example/",
        "https://" + "a." * 130 + "example/",
    ],
)
def test_invalid(raw: str) -> None:
    with pytest.raises(InvalidURL):
        normalise_url(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "https://user:pw@example.org/",
        "https://user@example.org/a",
        "https://:pw@example.org/",
        "https://@example.org/",
        "HTTP://Desk:Secret@Example.ORG:8080/feed?b=2",
        "http://user:pw@127.0.0.1:8000/x",
    ],
)
def test_credentials_are_refused_never_kept(raw: str) -> None:
    with pytest.raises(CredentialsInURL, match="must not contain a user name or password"):
        normalise_url(raw)


def test_an_at_sign_outside_the_authority_is_no_credential() -> None:
    assert normalise_url("https://example.org/@desk") == "https://example.org/@desk"
    assert (
        normalise_url("https://example.org/a?by=desk@example.org")
        == "https://example.org/a?by=desk%40example.org"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("ftp://example.org/a", "scheme not allowed: use http or https, not ftp:"),
        ("file:///etc/passwd", "scheme not allowed: use http or https, not file:"),
        ("gopher://example.org:70/_", "scheme not allowed: use http or https, not gopher:"),
        ("JavaScript:alert(1)", "scheme not allowed: use http or https, not javascript:"),
        ("example.org/a", "must be an absolute URL starting with http:// or https://"),
    ],
)
def test_a_wrong_scheme_says_so(raw: str, message: str) -> None:
    with pytest.raises(InvalidURL) as caught:
        normalise_url(raw)
    assert str(caught.value) == message
