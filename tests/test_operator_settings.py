"""Settings an operator can't get wrong (issue 12, item 8): private files,
opt-in HSTS preload, proxy headers trusted only from trusted proxies, no
static manifest served, and the project's own checks (newsroom.W0xx)."""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import run_checks
from django.http import HttpResponse
from django.test import Client, RequestFactory

from .test_deploy import ROOT, run_prod

MODES = (
    "import os, stat; from django.db import connection; "
    "c = connection.cursor(); c.execute('CREATE TABLE t (x)'); "
    "c.execute('INSERT INTO t VALUES (1)'); "
    "name = connection.settings_dict['NAME']; "
    "paths = [os.path.dirname(name), name, name + '-wal', name + '-shm']; "
    "print(' '.join(oct(stat.S_IMODE(os.stat(p).st_mode)) for p in paths))"
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_var_dir_and_its_sqlite_files_are_owner_only(tmp_path):
    """With a fresh var/ (and SECRET_KEY from the environment, so nothing
    else makes var/ first), the first connection creates var/ 0700 and the
    database, its -wal and its -shm 0600; the check then reports nothing,
    and reports W005/W006 once an operator opens them to others."""
    var = tmp_path / "var"
    env = {"SECRET_KEY": secrets.token_urlsafe(50), "NEWSROOM_TRUSTED_PROXIES": "1"}
    done = run_prod(var, "shell", "--verbosity", "0", "-c", MODES, **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0o700", "0o600", "0o600", "0o600"]
    clean = run_prod(var, "check", "--deploy", "--fail-level", "WARNING", **env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    (var / "newsroom.sqlite3").chmod(0o644)
    var.chmod(0o755)
    opened = run_prod(var, "check", **env)
    assert "newsroom.W005" in opened.stderr and "newsroom.W006" in opened.stderr


PRINT_HSTS = (
    "from django.conf import settings as s; "
    "print(s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
    "s.SECURE_HSTS_SECONDS > 0)"
)


def test_hsts_preload_and_subdomains_are_opt_in(tmp_path):
    """Prod sends HSTS, but preload and includeSubDomains only when the
    operator sets NEWSROOM_HSTS_PRELOAD / NEWSROOM_HSTS_INCLUDE_SUBDOMAINS;
    preload on is then named by check --deploy (newsroom.W001)."""
    shell = ("shell", "--verbosity", "0", "-c", PRINT_HSTS)
    default = run_prod(tmp_path / "var", *shell)
    assert default.stdout.split() == ["False", "False", "True"], default.stderr
    opted = {"NEWSROOM_HSTS_PRELOAD": "1", "NEWSROOM_HSTS_INCLUDE_SUBDOMAINS": "1"}
    on = run_prod(tmp_path / "var", *shell, **opted)
    assert on.stdout.split() == ["True", "True", "True"], on.stderr
    checked = run_prod(
        tmp_path / "var", "check", "--deploy", NEWSROOM_TRUSTED_PROXIES="1", **opted
    )
    assert "newsroom.W001" in checked.stderr, checked.stderr


FORGED = (
    "from django.test import Client; "
    "r = Client(REMOTE_ADDR='{peer}').get('/robots.txt', "
    "HTTP_HOST='localhost', HTTP_X_FORWARDED_PROTO='https'); "
    "print(r.status_code)"
)


def test_a_forged_forwarded_proto_is_not_https_without_trusted_proxies(tmp_path):
    """Under the prod settings (HTTPS on), X-Forwarded-Proto: https from a
    client, with no trusted proxy configured, is still plain HTTP: the
    request is redirected to HTTPS. From a trusted proxy's address the header
    counts (no redirect); from any other peer it does not."""

    def status(peer: str, **env: str) -> str:
        code = FORGED.format(peer=peer)
        done = run_prod(
            tmp_path / "var", "shell", "--verbosity", "0", "-c", code, **env
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert status("203.0.113.9") == "301"
    proxy = {"NEWSROOM_TRUSTED_PROXIES": "127.0.0.1"}
    assert status("127.0.0.1", **proxy) == "200"
    assert status("203.0.113.9", **proxy) == "301"


def test_the_proxy_middleware_drops_the_header_of_an_untrusted_peer(settings):
    """With proxies named by address, request.is_secure() believes the
    header only when the socket peer is one of them."""
    from newsroom.web.middleware import ProxyHeadersMiddleware

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.NEWSROOM_TRUSTED_PROXIES = "10.0.0.0/8"
    seen = []

    def view(request):
        seen.append(request.is_secure())
        return HttpResponse()

    middleware = ProxyHeadersMiddleware(view)
    rf = RequestFactory()
    for peer in ("198.51.100.7", "10.1.2.3"):
        middleware(rf.get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_PROTO="https"))
    assert seen == [False, True]


def test_the_static_manifest_is_not_served():
    """WhiteNoise serves the files under STATIC_ROOT but not staticfiles.json
    (the map of every file and hash): 404, while a file beside it is 200."""
    root = Path(settings.STATIC_ROOT)
    (root / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    (root / "beside.css").write_text("body { color: black }")
    client = Client()  # a new handler: WhiteNoise scans STATIC_ROOT afresh
    assert client.get("/static/beside.css").status_code == 200
    assert client.get("/static/staticfiles.json").status_code == 404


def test_project_checks_warn_about_each_misconfiguration(settings):
    """The project's own checks name each careless setting: preload (W001),
    a proxy header with no trusted proxy (W002), an HTTPS redirect nothing
    can satisfy behind a proxy (W003), DEBUG on a public host (W004)."""
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.NEWSROOM_TRUSTED_PROXIES = ""
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["news.example.org", "localhost"]
    settings.SITE_URL = "https://news.example.org"
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert {"newsroom.W001", "newsroom.W002", "newsroom.W004"} <= ids
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert "newsroom.W003" in ids and "newsroom.W002" not in ids
    settings.SECURE_HSTS_PRELOAD = False
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = False
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert not {i for i in ids if i.startswith("newsroom.")}, ids


def test_a_site_url_left_at_the_local_default_is_named(settings):
    """Feeds, sitemaps, the API's links and e-mails are built on SITE_URL:
    left at its default (http://127.0.0.1:8000) or plain HTTP on a site that
    redirects to HTTPS while the site answers to a public name, check
    --deploy names it (newsroom.W007); every feed reader, crawler and API
    client was sent to the server's own loopback address in silence."""
    settings.ALLOWED_HOSTS = ["news.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.NEWSROOM_TRUSTED_PROXIES = "1"

    def named() -> bool:
        ids = {m.id for m in run_checks(include_deployment_checks=True)}
        return "newsroom.W007" in ids

    for local in ("http://127.0.0.1:8000", "https://localhost", "http://[::1]:8000"):
        settings.SITE_URL = local
        assert named(), local
    settings.SITE_URL = "http://news.example.org"
    assert named()
    settings.SITE_URL = "https://news.example.org"
    assert not named()
    settings.SECURE_SSL_REDIRECT = False
    settings.SITE_URL = "http://news.example.org"
    assert not named()
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]  # make run: local only
    settings.SITE_URL = "http://127.0.0.1:8000"
    assert not named()


def test_mail_that_goes_nowhere_on_a_public_site_is_named(settings):
    """With comments open on a public host, the default console backend (it
    writes each mail, signed links included, to the log) or the dummy one is
    named by check --deploy (newsroom.W008): the deploy kit set no mail at
    all, so moderators, reply notifications and readers' confirmation links
    were never sent, in silence."""
    settings.ALLOWED_HOSTS = ["news.example.org"]
    settings.SITE_URL = "https://news.example.org"

    def named() -> bool:
        ids = {m.id for m in run_checks(include_deployment_checks=True)}
        return "newsroom.W008" in ids

    for nowhere in ("console", "dummy"):
        settings.EMAIL_BACKEND = f"django.core.mail.backends.{nowhere}.EmailBackend"
        assert named(), nowhere
    settings.NEWSROOM_COMMENTS_ENABLED = False
    assert not named()
    settings.NEWSROOM_COMMENTS_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert not named()
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]  # make run: local only
    assert not named()
    kit = (ROOT / "deploy" / "newsroom.env.example").read_text()
    assert "EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend" in kit


def test_a_sender_or_moderator_that_is_no_mailbox_is_named(settings):
    """Sending mail on a public host, check --deploy names the default sender
    newsroom@localhost (servers refuse or junk it) and a moderator that is
    no mailbox ("desk", two addresses typed with a semicolon), W009; a real
    sender, with or without a display name, says nothing."""
    settings.ALLOWED_HOSTS = ["news.example.org"]
    settings.SITE_URL = "https://news.example.org"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "newsroom@localhost"
    settings.NEWSROOM_COMMENTS_MODERATORS = ["desk", "a@example.org;b@example.org"]

    def named() -> list[str]:
        return [
            m.msg
            for m in run_checks(include_deployment_checks=True)
            if m.id == "newsroom.W009"
        ]

    found = named()
    assert len(found) == 3
    assert "'newsroom@localhost'" in found[0] and "'desk'" in found[1]
    settings.DEFAULT_FROM_EMAIL = "The News <newsroom@news.example.org>"
    settings.NEWSROOM_COMMENTS_MODERATORS = ["desk@news.example.org"]
    assert not named()


def test_a_proxy_nobody_named_is_logged_once(settings, caplog):
    """Forwarded requests from a loopback or private peer while
    NEWSROOM_TRUSTED_PROXIES is empty are named in one warning per process
    (every visitor would share the proxy's budget); a public peer's header,
    or a configured proxy, says nothing."""
    from newsroom.web.middleware import ProxyHeadersMiddleware

    settings.NEWSROOM_TRUSTED_PROXIES = ""
    middleware = ProxyHeadersMiddleware(lambda request: HttpResponse())
    rf = RequestFactory()
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    with caplog.at_level("WARNING", logger="newsroom.web.middleware"):
        middleware(rf.get("/", REMOTE_ADDR="93.184.216.34", **forwarded))
        assert not caplog.records
        for _ in range(3):
            middleware(rf.get("/", REMOTE_ADDR="127.0.0.1", **forwarded))
        assert len(caplog.records) == 1
        assert "NEWSROOM_TRUSTED_PROXIES" in caplog.records[0].getMessage()
        settings.NEWSROOM_TRUSTED_PROXIES = "1"
        quiet = ProxyHeadersMiddleware(lambda request: HttpResponse())
        quiet(rf.get("/", REMOTE_ADDR="127.0.0.1", **forwarded))
        assert len(caplog.records) == 1
