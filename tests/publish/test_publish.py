"""`chapbook publish` to a local folder, and the plan every destination shares: what is sent, in what order,
what is deleted, and what a dry run says."""

from __future__ import annotations

import hashlib
import json

import pytest
from publish_servers import capsule_versions, changed_files, second_post_files, tree

from pipeline.errors import ChapbookError
from pipeline.publish import describe, feed_address, notify_antenna, parse_destination, publish
from pipeline.publish.plan import MANIFEST, publish_rank

SECOND = "gemlog/2024-08-02-a-second-post.gmi"


def sent(report) -> set[str]:
    return {action.path for action in report.actions if action.kind in ("send", "replace")}


def test_destinations_are_parsed_and_a_password_is_refused_without_being_echoed(tmp_path):
    assert str(parse_destination("sftp://me@example.org:2222/srv/gemini")) == "sftp://me@example.org:2222/srv/gemini"
    sftp = parse_destination("sftp://example.org/~/gemini")
    assert (sftp.port, sftp.file_path("index.gmi")) == (22, "gemini/index.gmi")
    home = parse_destination("sftp://me@example.org/~/")  # the login folder itself, never the server's root
    assert home.file_path("index.gmi") == "index.gmi" and str(home) == "sftp://me@example.org/~/"
    assert parse_destination("sftp://example.org/").file_path("index.gmi") == "/index.gmi"
    titan = parse_destination("titan://example.org/capsule")
    assert (titan.port, titan.file_path("gemlog/index.gmi")) == (1965, "/capsule/gemlog/index.gmi")
    assert parse_destination(tmp_path.as_uri()).path == str(tmp_path)
    assert parse_destination(str(tmp_path)).scheme == "file"
    with pytest.raises(ChapbookError) as refused:
        parse_destination("sftp://me:hunter2@example.org/srv")
    assert "hunter2" not in str(refused.value) and "password" in str(refused.value)
    with pytest.raises(ChapbookError, match="cannot publish over ftp://"):
        parse_destination("ftp://example.org/")


def test_pages_go_first_then_the_gemlog_index_then_the_feed_then_the_home_page():
    capsule = sorted(tree(capsule_versions()["v1"]), key=publish_rank)
    assert capsule[-3:] == ["gemlog/index.gmi", "gemlog/atom.xml", "index.gmi"]
    assert SECOND in capsule[:-3] and "gemlog/2024-07-31-my-thoughts-on-generated-images.gmi" in capsule[:-3]


def test_publish_to_a_folder_copies_the_capsule_and_a_second_run_sends_nothing(tmp_path):
    capsule = capsule_versions()["v1"]
    destination = tmp_path / "srv"
    report = publish(capsule, destination.as_uri())
    assert tree(destination) == tree(capsule)
    assert report.count("send") == len(tree(capsule)) and not report.count("replace", "delete")
    recorded = json.loads((destination / MANIFEST).read_text())["files"]
    assert set(recorded) == set(tree(capsule))
    modified = {path: (destination / path).stat().st_mtime_ns for path in tree(capsule)}
    again = publish(capsule, destination.as_uri())
    assert not again.changed and again.summary().startswith("nothing changed")
    assert {path: (destination / path).stat().st_mtime_ns for path in tree(capsule)} == modified


def test_only_the_changed_files_travel_and_a_removed_source_is_unpublished(tmp_path):
    versions = capsule_versions()
    destination = tmp_path / "srv"
    publish(versions["v1"], str(destination))
    edited = publish(versions["v2"], str(destination))
    # The edited post's page and its own EPUB, PDF and text; nothing of the essay's.
    assert sent(edited) == changed_files(versions["v1"], versions["v2"]) == set(second_post_files())
    assert SECOND in second_post_files() and len(second_post_files()) == 4
    assert tree(destination) == tree(versions["v2"])
    (destination / "by-hand.gmi").write_text("placed by hand\n")
    removed = publish(versions["v3"], str(destination))
    assert [action.path for action in removed.actions if action.kind == "delete"] == second_post_files()
    assert sent(removed) == changed_files(versions["v2"], versions["v3"])
    assert tree(destination) == tree(versions["v3"]) | {"by-hand.gmi": b"placed by hand\n"}


def test_a_published_file_edited_at_the_destination_is_never_deleted(tmp_path):
    versions = capsule_versions()
    destination = tmp_path / "srv"
    publish(versions["v1"], str(destination))
    (destination / SECOND).write_text("edited on the server\n")
    report = publish(versions["v3"], str(destination))
    assert (destination / SECOND).read_text() == "edited on the server\n"
    [left] = [action for action in report.actions if action.path == SECOND]
    assert left.kind == "leave" and "changed at the destination" in describe(left)
    assert SECOND not in json.loads((destination / MANIFEST).read_text())["files"]  # no longer chapbook's


def test_dry_run_prints_the_plan_and_touches_nothing(tmp_path):
    versions = capsule_versions()
    destination = tmp_path / "srv"
    publish(versions["v1"], str(destination))
    before = tree(destination) | {MANIFEST: (destination / MANIFEST).read_bytes()}
    report = publish(versions["v3"], str(destination), dry_run=True)
    lines = [describe(action) for action in report.actions]
    assert f"delete  {SECOND}" in lines
    assert any(line.startswith("replace gemlog/index.gmi (") for line in lines)
    # (the essay's own page changes: its link to the removed post goes)
    assert "keep    gemlog/essay.epub" in lines
    assert report.summary().startswith("would publish to ")
    assert tree(destination) | {MANIFEST: (destination / MANIFEST).read_bytes()} == before


def test_publishing_into_the_capsule_itself_is_refused():
    capsule = capsule_versions()["v1"]
    with pytest.raises(ChapbookError, match="overlaps the folder being published"):
        publish(capsule, str(capsule / "copy"))


def test_antenna_needs_the_public_address_of_a_capsule_sent_by_sftp():
    destination = parse_destination("sftp://me@example.org/srv/gemini")
    with pytest.raises(ChapbookError, match="set gemini_base_url"):
        feed_address(destination, "", "gemlog/atom.xml")
    with pytest.raises(ChapbookError, match="antenna_url must be a gemini:// address"):
        notify_antenna("https://example.org/submit", "gemini://example.org/gemlog/atom.xml", {})


def test_a_tampered_manifest_cannot_steer_a_deletion_out_of_the_destination(tmp_path):
    capsule = capsule_versions()["v1"]
    destination, outside = tmp_path / "srv", tmp_path / "precious.txt"
    outside.write_text("keep me\n")
    publish(capsule, str(destination))
    manifest = json.loads((destination / MANIFEST).read_text())
    manifest["files"]["../precious.txt"] = {"sha256": hashlib.sha256(b"keep me\n").hexdigest(), "size": 8}
    (destination / MANIFEST).write_text(json.dumps(manifest))
    report = publish(capsule, str(destination))
    assert outside.read_text() == "keep me\n" and not report.count("delete")


def test_a_dry_run_to_a_new_folder_does_not_create_it(tmp_path):
    report = publish(capsule_versions()["v1"], str(tmp_path / "new"), dry_run=True)
    assert report.count("send") == len(tree(capsule_versions()["v1"])) and not (tmp_path / "new").exists()
