"""`chapbook publish --web` as a user runs it: the web site (OUTDIR/web) sent by the same publisher as the
capsule, to a folder and over SFTP, then served by Python's own http.server and read back over HTTP."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import urllib.request
from html.parser import HTMLParser

import pytest
from conftest import ESSAY, run_chapbook
from publish_servers import sftp_host_for_home, tree

from pipeline.publish.plan import MANIFEST
from pipeline.words.measure import human_size

PAGE = "2024-07-31-my-thoughts-on-generated-images.html"
TITLE = "my thoughts on generated images"


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    """One build of the essay's web site and capsule, shared by the module (read, never changed)."""
    folder = tmp_path_factory.mktemp("web-build")
    result = run_chapbook("build", "-q", "-f", "web", "-f", "gemini", "-o", str(folder), str(ESSAY))
    assert result.returncode == 0, result.stderr
    return folder


def environment(tmp_path) -> dict:
    return {"HOME": str(tmp_path / "home"), "CHAPBOOK_STATE_DIR": str(tmp_path / "state"), "SSH_AUTH_SOCK": ""}


def publish(outdir, *args, tmp_path, cwd=None):
    return run_chapbook("publish", str(outdir), *args, cwd=cwd, env=environment(tmp_path))


def test_the_web_site_goes_to_a_folder_and_a_second_publish_sends_nothing(outdir, tmp_path):
    destination = tmp_path / "www"
    first = publish(outdir, "--web", "--to", str(destination), tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    site = tree(outdir / "web")
    assert PAGE in site and tree(destination) == site
    assert first.stdout.splitlines()[-1].startswith(f"published to {destination.as_uri()}: {len(site)} sent, "
                                                    "0 replaced, 0 deleted")
    assert json.loads((destination / MANIFEST).read_text())["site"] == "web"
    second = publish(outdir, "--web", "--to", destination.as_uri(), tmp_path=tmp_path)
    assert second.returncode == 0 and second.stdout.splitlines() == [
        f"nothing changed: {len(site)} file(s) already at {destination.as_uri()}, nothing sent"]


def test_the_dry_run_sends_pages_first_then_the_feed_then_the_home_page(outdir, tmp_path):
    destination = tmp_path / "www"
    result = publish(outdir, "--web", "--to", str(destination), "--dry-run", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    site = tree(outdir / "web")
    lines = result.stdout.splitlines()
    assert len(lines) == len(site) + 1 and all(line.startswith("send    ") for line in lines[:-1])
    assert lines[-3:-1] == [f"send    {path} ({human_size(len(site[path]))})" for path in ("atom.xml", "index.html")]
    assert f"send    {PAGE} ({human_size(len(site[PAGE]))})" in lines[:-3]
    assert lines[-1].startswith("would publish to ") and not destination.exists()


def test_over_sftp_to_publish_web_to_with_the_host_in_known_hosts(outdir, tmp_path):
    host, host_key, ssh = sftp_host_for_home(tmp_path)
    try:
        (ssh / "known_hosts").write_text(f"[127.0.0.1]:{host.port} "
                                         f"{host_key.export_public_key('openssh').decode('ascii')}")
        project = tmp_path / "project"
        project.mkdir()
        (project / "chapbook.toml").write_text(f'publish_web_to = "sftp://tester@127.0.0.1:{host.port}/www"\n')
        first = publish(outdir.resolve(), "--web", tmp_path=tmp_path, cwd=project)
        assert first.returncode == 0, first.stderr
        site = tree(outdir / "web")
        assert tree(tmp_path / "remote" / "www") == site
        assert sorted(host.sent()) == sorted(f"www/{path}" for path in site)  # each file once
        again = publish(outdir.resolve(), "--web", tmp_path=tmp_path, cwd=project)
        assert again.returncode == 0 and again.stdout.startswith("nothing changed") and host.sent() == []
    finally:
        host.close()


def test_titan_a_missing_site_and_a_missing_destination_are_one_line_each(outdir, tmp_path):
    titan = publish(outdir, "--web", "--to", "titan://example.org/", tmp_path=tmp_path)
    assert titan.returncode == 1 and titan.stderr.splitlines() == [
        "titan://example.org/: --to: the web site cannot be published over titan://, a Gemini protocol that web "
        "servers do not take; publish it by sftp:// or to a folder (--to or publish_web_to: "
        "sftp://me@example.org/srv/www, file:///srv/www)"]
    unbuilt = publish(tmp_path, "--web", "--to", str(tmp_path / "www"), tmp_path=tmp_path)
    assert unbuilt.returncode == 1 and unbuilt.stderr.splitlines() == [
        f"{tmp_path / 'web'}: no web site here; run chapbook build -f web first"]
    nowhere = publish(outdir, "--web", tmp_path=tmp_path, cwd=tmp_path)
    assert nowhere.returncode == 1 and nowhere.stderr.splitlines() == [
        "publish: no destination to publish to; pass --to or set publish_web_to in chapbook.toml "
        "(sftp://me@example.org/srv/www, file:///srv/www)"]
    assert not (tmp_path / "www").exists()


def test_the_site_and_the_capsule_never_share_a_folder(outdir, tmp_path):
    shared, capsule = tmp_path / "shared", tree(outdir / "gemini")
    assert publish(outdir, "--to", str(shared), tmp_path=tmp_path).returncode == 0
    refused = publish(outdir, "--web", "--to", str(shared), tmp_path=tmp_path)
    assert refused.returncode == 1 and refused.stderr.splitlines() == [
        f"{shared.as_uri()}: chapbook published the Gemini capsule here (its manifest says so), and publishing the "
        "web site over it would delete it; give the web site a folder of its own (publish_web_to)"]
    assert tree(shared) == capsule
    other = tmp_path / "other"
    assert publish(outdir, "--web", "--to", str(other), tmp_path=tmp_path).returncode == 0
    back = publish(outdir, "--to", str(other), "--dry-run", tmp_path=tmp_path)
    assert back.returncode == 1 and "publishing the Gemini capsule over it would delete it" in back.stderr
    assert tree(other) == tree(outdir / "web")


def test_a_capsule_inside_the_web_folder_and_the_site_leave_each_other_alone(outdir, tmp_path):
    www = tmp_path / "www"
    for args in (("--web", "--to", str(www)), ("--to", str(www / "gemini")), ("--web", "--to", str(www))):
        result = publish(outdir, *args, tmp_path=tmp_path)
        assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("nothing changed")  # the capsule's files are not the site's to delete
    assert tree(www / "gemini") == tree(outdir / "gemini")
    assert {path: data for path, data in tree(www).items() if not path.startswith("gemini/")} == tree(outdir / "web")


class _Page(HTMLParser):
    """A page as a reader gets it: its <title>, its text, the links it makes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.title, self.text, self.links, self._in_title = "", [], [], False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self._in_title = self._in_title or tag == "title"
        if tag in ("a", "link") and dict(attrs).get("href"):
            self.links.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        self._in_title = self._in_title and tag != "title"

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        self.text.append(data)


def test_the_published_site_works_over_http(outdir, tmp_path):
    destination = tmp_path / "www"
    assert publish(outdir, "--web", "--to", str(destination), tmp_path=tmp_path).returncode == 0

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(destination)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"

    def get(path: str) -> tuple[str, bytes]:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return response.headers.get_content_type(), response.read()

    try:
        kind, body = get("")
        home = _Page(body.decode("utf-8"))
        assert kind == "text/html" and home.title == TITLE and PAGE in home.links
        kind, body = get(PAGE)
        page = _Page(body.decode("utf-8"))
        text = " ".join("".join(page.text).split())
        assert kind == "text/html" and page.title == TITLE
        assert "Just Worked" in text and "gpt·4" in text and "[disclaimer:" in text
        local = {link.split("#")[0] for link in page.links if "://" not in link} - {""}
        assert {"index.html", "atom.xml", "web.css", PAGE.replace(".html", ".epub")} <= local
        for link in local:  # the stylesheet, the feed, the home page and the other editions all arrive whole
            assert get(link)[1] == (outdir / "web" / link).read_bytes()
    finally:
        server.shutdown()
        server.server_close()
