"""`chapbook publish` over Titan to gmcapsule (PyPI) on loopback, which also serves the files back over Gemini
and records Antenna-style pings."""

from __future__ import annotations

from pathlib import Path

import pytest
from publish_servers import GmCapsuleHost, capsule_versions, second_post_files, tree

from pipeline.errors import ChapbookError
from pipeline.publish import feed_address, notify_antenna, parse_destination, publish
from pipeline.publish.tofu import PINS_FILE

TOKEN = "s3cret-titan-token"
SECOND = "gemlog/2024-08-02-a-second-post.gmi"


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    server = GmCapsuleHost(tmp_path_factory.mktemp("gmcapsule"), TOKEN)
    yield server
    server.close()


@pytest.fixture
def environ(tmp_path):
    return {"CHAPBOOK_STATE_DIR": str(tmp_path / "state"), "CHAPBOOK_TITAN_TOKEN": TOKEN}


def uploads(host, folder: str) -> list[dict]:
    return [r for r in host.requests() if r.get("path", "").startswith(folder + "/")]


def test_files_arrive_with_their_sizes_types_and_the_token(host, environ, request):
    folder = request.node.name
    versions = capsule_versions()
    report = publish(versions["v1"], f"titan://localhost:{host.port}/{folder}/", environ=environ)
    capsule = tree(versions["v1"], hidden=False)  # agate's .meta files stay home: the type carries the language
    assert tree(host.root / folder) == capsule
    arrived = uploads(host, folder)
    assert {r["path"].removeprefix(folder + "/"): r["size"] for r in arrived} == {p: len(d) for p, d in capsule.items()}
    types = {r["path"].removeprefix(folder + "/"): r["mime"] for r in arrived}
    assert types[SECOND] == types["index.gmi"] == "text/gemini; charset=utf-8; lang=en"
    assert types["gemlog/atom.xml"] == "application/atom+xml"
    assert {r["token"] for r in arrived} == {TOKEN}
    assert [r["path"].removeprefix(folder + "/") for r in arrived][-3:] == ["gemlog/index.gmi", "gemlog/atom.xml",
                                                                             "index.gmi"]
    assert report.count("send") == len(capsule) and any("certificate pinned" in note for note in report.notes)
    assert not publish(versions["v1"], f"titan://localhost:{host.port}/{folder}/", environ=environ).changed
    assert len(uploads(host, folder)) == len(capsule)  # nothing travelled the second time


def test_a_removed_source_is_deleted_by_a_zero_byte_upload_and_nothing_else(host, environ, request):
    folder = request.node.name
    versions = capsule_versions()
    publish(versions["v1"], f"titan://localhost:{host.port}/{folder}/", environ=environ)
    (host.root / folder / "by-hand.gmi").write_text("placed by hand\n")
    report = publish(versions["v3"], f"titan://localhost:{host.port}/{folder}/", environ=environ)
    assert [a.path for a in report.actions if a.kind == "delete"] == second_post_files()
    assert uploads(host, folder)[-len(second_post_files()):] == [
        {"path": f"{folder}/{path}", "size": 0, "mime": "", "token": TOKEN} for path in second_post_files()]
    assert tree(host.root / folder) == tree(versions["v3"], hidden=False) | {"by-hand.gmi": b"placed by hand\n"}


def test_a_wrong_or_missing_token_gets_status_6x_and_one_clear_line(host, environ, request):
    destination = f"titan://localhost:{host.port}/{request.node.name}/"
    with pytest.raises(ChapbookError) as wrong:
        publish(capsule_versions()["v1"], destination, environ=environ | {"CHAPBOOK_TITAN_TOKEN": "not-it"})
    message = str(wrong.value)
    assert "the host refused the upload: 61 token not accepted" in message and "not-it" not in message
    assert "CHAPBOOK_TITAN_TOKEN" in message and "\n" not in message
    without = dict(environ)
    del without["CHAPBOOK_TITAN_TOKEN"]
    with pytest.raises(ChapbookError, match="set CHAPBOOK_TITAN_TOKEN, or titan_token_file"):
        publish(capsule_versions()["v1"], destination, environ=without)
    assert not (host.root / request.node.name).exists()


def test_the_token_can_come_from_a_file_and_is_never_stored_or_shown(host, environ, tmp_path, request):
    token_file = tmp_path / "titan-token"
    token_file.write_text(TOKEN + "\n")
    del environ["CHAPBOOK_TITAN_TOKEN"]
    folder = request.node.name
    report = publish(capsule_versions()["v1"], f"titan://localhost:{host.port}/{folder}/", environ=environ,
                     token_file=token_file)
    assert tree(host.root / folder) == tree(capsule_versions()["v1"], hidden=False)
    shown = report.summary() + "".join(report.notes) + report.destination
    stored = b"".join(path.read_bytes() for path in (tmp_path / "state").rglob("*") if path.is_file())
    assert TOKEN not in shown and TOKEN.encode() not in stored and stored


def test_a_changed_certificate_is_refused(host, environ, request):
    pins = Path(environ["CHAPBOOK_STATE_DIR"]) / PINS_FILE
    pins.parent.mkdir(parents=True)
    pins.write_text(f"localhost:{host.port} SHA256:{'0' * 64}\n")
    with pytest.raises(ChapbookError) as failure:
        publish(capsule_versions()["v1"], f"titan://localhost:{host.port}/{request.node.name}/", environ=environ)
    assert "certificate changed" in str(failure.value) and str(pins) in str(failure.value)
    assert not (host.root / request.node.name).exists()


def test_antenna_receives_exactly_one_ping_with_the_feed_address(host, environ):
    destination = parse_destination(f"titan://localhost:{host.port}/capsule/")
    feed = feed_address(destination, "", "gemlog/atom.xml")
    assert feed == f"gemini://localhost:{host.port}/capsule/gemlog/atom.xml"
    assert feed_address(destination, "gemini://example.org/", "gemlog/atom.xml") == \
        "gemini://example.org/gemlog/atom.xml"
    before = [r for r in host.requests() if "ping" in r]
    notify_antenna(f"gemini://localhost:{host.port}/~antenna/submit", feed, environ)
    assert [r for r in host.requests() if "ping" in r] == before + [{"ping": feed}]
