"""Every error is JSON in one shape, with the right status, never a 500."""

from __future__ import annotations

import json

import pytest

from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db

API = "/api/v1"


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["details"], list)
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.mark.parametrize(
    "url",
    [
        f"{API}/no-such-route",
        "/api/v2/articles",
        "/api/",
        f"{API}/articles/0/extra",
    ],
)
def test_unknown_api_paths_are_json_404(client, url):
    """An unknown URL under /api/ is a JSON 404, not the site's HTML page."""
    assert_error(client.get(url), 404, "not_found")


def test_wrong_method_is_json_405_with_allow(client):
    """DELETE on a read route: 405 in the error shape, Allow header kept."""
    response = client.delete(f"{API}/articles")
    error = assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"] and "GET" in error["message"]


def allow(response) -> set[str]:
    return {m.strip() for m in response["Allow"].split(",") if m.strip()}


@pytest.mark.parametrize(
    "method,url,served",
    [
        ("delete", f"{API}/articles", {"GET", "HEAD", "OPTIONS"}),
        ("put", f"{API}/comments/challenge", {"POST", "OPTIONS"}),
        ("head", f"{API}/comments/challenge", {"POST", "OPTIONS"}),
    ],
)
def test_a_405s_allow_names_every_method_the_route_answers(client, method, url, served):
    """RFC 9110: a 405's Allow lists the methods the resource serves. The
    API answers HEAD for every GET route and OPTIONS for every route (its
    middleware does, not the route), so both belong in it; Allow named the
    route's own methods only ("GET"), and a client that trusted it never
    sent a HEAD the route answers. A HEAD refused is named as a HEAD."""
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert allow(response) == served
    if method == "head":
        assert response.content == b""
    else:
        assert method.upper() in assert_error(response, 405)["message"]
    for other in served - {"POST"}:
        answer = client.generic(other, url)
        assert answer.status_code in (200, 204), (other, answer.status_code)


@pytest.mark.parametrize(
    "query,field",
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("limit=99999999999999999999999999", "limit"),
        ("from=yesterday", "from"),
        ("to=2024-02-30", "to"),
        ("section=bad%20slug!", "section"),
        ("tag=" + "x" * 300, "tag"),
    ],
)
def test_wrong_types_and_out_of_range_values_are_422(client, query, field):
    """Wrong types, huge numbers and bad slugs name the field in a 422."""
    error = assert_error(client.get(f"{API}/articles?{query}"), 422, "invalid")
    assert error["details"][0]["field"] == field
    assert error["details"][0]["in"] == "query"


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%00",
        "W10",
        "WyJ4Il0",
        "eyJhIjogMX0",
        "x" * 600,
        # valid base64 JSON of the right length but wrong types
        "WyJub3QgYSBkYXRlIiwgMV0",
        "WyIyMDI0LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgdHJ1ZV0",
    ],
)
def test_bad_cursors_are_400(client, cursor):
    """A cursor the API did not make is a 400 `bad_cursor` (or a 422 when it is
    too long to be one), never a 500."""
    response = client.get(f"{API}/articles?cursor={cursor}")
    if len(cursor) > 512:
        assert_error(response, 422, "invalid")
    else:
        assert_error(response, 400, "bad_cursor")


def test_unknown_query_parameters_are_400_naming_the_known_ones(client):
    """A misspelt filter is reported, not silently ignored."""
    error = assert_error(
        client.get(f"{API}/articles?sectoin=sport"), 400, "unknown_parameter"
    )
    assert error["details"] == [{"in": "query", "field": "sectoin"}]
    assert "section" in error["message"]


def test_huge_and_negative_ids(client):
    """Ids that are not 1..2**63-1 (huge, zero, negative, words) are 422."""
    assert_error(client.get(f"{API}/articles/{2**64}"), 422, "invalid")
    assert_error(client.get(f"{API}/articles/0"), 422, "invalid")
    assert_error(client.get(f"{API}/articles/{2**63 - 1}"), 404, "not_found")
    assert_error(client.get(f"{API}/articles/-5"), 422, "invalid")
    assert_error(client.get(f"{API}/articles/abc"), 422, "invalid")


@pytest.mark.parametrize("route", ["", "/comments", "/shares"])
def test_an_id_is_read_only_as_written_by_the_api(client, route):
    """An article's id in a path is its digits as the API writes them: the
    same number spelt otherwise (a leading zero or plus, spaces, a decimal
    point, an underscore) is a JSON 404, as for an id no article has; it
    answered the same as the id itself, a second address for every article
    (caches and crawlers kept both). A word is still 422."""
    a = f.article("Dam opens")
    assert client.get(f"{API}/articles/{a.pk}{route}").status_code == 200
    for odd in (f"0{a.pk}", f"+{a.pk}", f"%20{a.pk}", f"{a.pk}%20", f"{a.pk}.0"):
        error = assert_error(client.get(f"{API}/articles/{odd}{route}"), 404)
        assert error["code"] == "not_found", odd
    one = f"{a.pk}"
    spread = f"{one[0]}_{one[1:]}" if len(one) > 1 else f"0_{one}"
    assert_error(client.get(f"{API}/articles/{spread}{route}"), 404, "not_found")
    assert_error(client.get(f"{API}/articles/%EF%BC%91{route}"), 422, "invalid")
    assert_error(client.get(f"{API}/articles/abc{route}"), 422, "invalid")


def test_errors_are_not_cached(client):
    """Error answers say Cache-Control: no-store."""
    assert client.get(f"{API}/articles/{2**40}")["Cache-Control"] == "no-store"
    assert client.get(f"{API}/nothing-here")["Cache-Control"] == "no-store"


def test_slug_with_nul_byte_is_422_not_500(client):
    """A NUL byte (which PostgreSQL refuses in text) is rejected up front."""
    f.article("Any")
    assert_error(client.get(f"{API}/articles/by-slug/a%00b"), 422, "invalid")
    assert_error(client.get(f"{API}/articles?tag=a%00b"), 422, "invalid")


@pytest.mark.parametrize("path", ["/comments/challenge", "/articles/{id}/comments"])
def test_a_body_past_the_upload_limit_is_413_not_500(client, settings, path):
    """A JSON body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (a stranger's 3 MB
    post, or a Content-Length that says so) is a 413 in the error shape:
    Django refuses to read it (RequestDataTooBig), and the API's catch-all
    answered 500 and logged a traceback for each one."""
    article = f.article("Any")
    pad = "z" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(
        API + path.format(id=article.pk),
        data=json.dumps({"article_id": article.pk, "pad": pad}),
        content_type="application/json",
        headers={"Origin": "http://testserver"},
    )
    assert_error(response, 413, "too_large")


@pytest.mark.parametrize(
    "path", ["/articles", "/sections", "/search?q=flood", "/articles/{id}/comments"]
)
def test_more_query_fields_than_django_reads_is_400_not_500(client, path):
    """1,100 query parameters (past DATA_UPLOAD_MAX_NUMBER_FIELDS, 1,000),
    different or all one name: Django refuses to parse them
    (TooManyFieldsSent), a 400 as on the site's pages, never a 500."""
    article = f.article("Any")
    url = API + path.format(id=article.pk)
    join = "&" if "?" in url else "?"
    for fields in (
        "&".join(f"x{i}=1" for i in range(1100)),
        "&".join("limit=1" for _ in range(1100)),
    ):
        assert_error(client.get(url + join + fields), 400, "too_many_fields")


def test_a_refused_requests_log_line_cannot_be_forged_by_its_path(client, caplog):
    """The warning for refused input names the request's path escaped: a
    path with an encoded newline would otherwise write a second, forged log
    line (as Django escapes it in its own request log)."""
    import logging

    fields = "&".join(f"x{i}=1" for i in range(1100))
    with caplog.at_level(logging.WARNING, logger="django.security"):
        client.get(f"{API}/articles/by-slug/a%0AFORGED%20admin%20login?{fields}")
    lines = [
        r.getMessage() for r in caplog.records if r.name.startswith("django.security")
    ]
    assert lines, caplog.records
    assert all("\n" not in line for line in lines), lines


def test_a_bugs_log_line_cannot_be_forged_by_its_path(caplog):
    """A bug's 500 is logged with the request's path escaped, as refused
    input is: the catch-all handlers (the middleware's, for what fails
    before a route, and the routes') wrote the path raw, so an encoded
    newline in it wrote a second, forged log line. The bug is handed to the
    middleware as it would be (every route's path parameters are typed, so
    such a path does not reach a route's code)."""
    import logging

    from django.test import RequestFactory

    from newsroom.api.middleware import ApiMiddleware

    path = f"{API}/articles/by-slug/a%0AFORGED%20admin%20login"
    with caplog.at_level(logging.ERROR):
        response = ApiMiddleware(lambda request: None).process_exception(
            RequestFactory().get(path), RuntimeError("a bug")
        )
    assert response.status_code == 500
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("FORGED" in line for line in lines), lines
    assert all("\n" not in line for line in lines), lines
