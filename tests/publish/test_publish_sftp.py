"""`chapbook publish` over SFTP, to asyncssh's SFTP server started on loopback with keys made for the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from publish_servers import SFTPHost, capsule_versions, changed_files, second_post_files, tree

from pipeline.errors import ChapbookError
from pipeline.publish import publish
from pipeline.publish.plan import MANIFEST

SECOND = "gemlog/2024-08-02-a-second-post.gmi"


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """A host key, the user's key (authorized on the server) and a stranger's key, as files."""
    import asyncssh

    folder = tmp_path_factory.mktemp("keys")
    made = {}
    for name in ("host", "user", "stranger"):
        key = asyncssh.generate_private_key("ssh-ed25519")
        key.write_private_key(str(folder / name))
        made[name] = key
    made["folder"] = folder
    return made


@pytest.fixture
def host(keys, tmp_path):
    server = SFTPHost(tmp_path / "remote", keys["host"], keys["user"])
    (tmp_path / "remote").mkdir()
    yield server
    server.close()


def known_hosts_for(host: SFTPHost, key, folder) -> object:
    path = folder / "known_hosts"
    algorithm, blob = key.export_public_key("openssh").decode("ascii").split()[:2]
    path.write_text(f"[127.0.0.1]:{host.port} {algorithm} {blob}\n")
    return path


def publish_over_sftp(host, keys, tmp_path, capsule, **options):
    if "known_hosts" not in options:
        options["known_hosts"] = known_hosts_for(host, keys["host"], tmp_path)
    options.setdefault("client_keys", [keys["folder"] / "user"])
    return publish(capsule, f"sftp://tester@127.0.0.1:{host.port}/capsule", **options)


def test_the_remote_tree_equals_the_capsule_and_only_changed_files_travel(host, keys, tmp_path):
    versions = capsule_versions()
    publish_over_sftp(host, keys, tmp_path, versions["v1"])
    remote = host.root / "capsule"
    assert tree(remote) == tree(versions["v1"])
    assert sorted(host.sent()) == sorted(f"capsule/{path}" for path in tree(versions["v1"]))
    assert not list(remote.rglob("*.part"))
    again = publish_over_sftp(host, keys, tmp_path, versions["v1"])
    assert host.sent() == [] and not again.changed
    publish_over_sftp(host, keys, tmp_path, versions["v2"])
    assert sorted(host.sent()) == sorted(f"capsule/{p}" for p in changed_files(versions["v1"], versions["v2"]))
    assert tree(remote) == tree(versions["v2"])
    (remote / "by-hand.gmi").write_text("placed by hand\n")
    report = publish_over_sftp(host, keys, tmp_path, versions["v3"])
    assert [a.path for a in report.actions if a.kind == "delete"] == second_post_files()
    assert sorted(host.sent()) == sorted(f"capsule/{p}" for p in changed_files(versions["v2"], versions["v3"]))
    assert tree(remote) == tree(versions["v3"]) | {"by-hand.gmi": b"placed by hand\n"}
    assert set(json.loads((remote / MANIFEST).read_text())["files"]) == set(tree(versions["v3"]))


def unresolved_links(folder: Path) -> list[str]:
    """Every relative `=>` link of the pages in `folder` whose target is not there."""
    missing = []
    for page in folder.rglob("*.gmi"):
        for line in page.read_text(encoding="utf-8").splitlines():
            target = line[2:].split()[0] if line.startswith("=>") and line[2:].split() else ""
            if target and "://" not in target:
                resolved = page.parent / target / ("index.gmi" if target.endswith("/") else "")
                if not resolved.resolve().is_file():
                    missing.append(f"{page.relative_to(folder)} -> {target}")
    return missing


@pytest.mark.parametrize("first, then, cut", [
    (None, "v1", 20_000),  # a first publish, cut in the middle of the essay's page
    ("v2", "v3", ["gemlog/.meta", "gemlog/index.gmi"]),  # cut after the gemlog index, before feed and home
])
def test_a_dropped_connection_leaves_complete_files_and_the_next_publish_finishes(host, keys, tmp_path, first,
                                                                                   then, cut):
    versions = capsule_versions()
    if first:
        publish_over_sftp(host, keys, tmp_path, versions[first])
    old, new = tree(host.root / "capsule"), tree(versions[then])
    cut = cut if isinstance(cut, int) else sum(len(new[path]) for path in cut) + 10
    host.drop_after = host.bytes_written + cut
    with pytest.raises(ChapbookError) as failure:
        publish_over_sftp(host, keys, tmp_path, versions[then])
    message = str(failure.value)
    assert "connection lost" in message and "publish again to finish" in message and "\n" not in message
    assert list((host.root / "capsule").rglob(".*.chapbook.part")), "the cut came between files, not inside one"
    visible = tree(host.root / "capsule", hidden=False)
    for path, data in visible.items():
        assert data in (old.get(path), new.get(path)), f"{path} is neither the old file nor the new one"
    assert unresolved_links(host.root / "capsule") == []  # no index links to a page that is not there
    host.drop_after = None
    publish_over_sftp(host, keys, tmp_path, versions[then])
    assert tree(host.root / "capsule") == new  # finished, and no temporary file left behind


def test_an_unknown_host_key_is_refused_unless_accepted(host, keys, tmp_path):
    known_hosts = tmp_path / "ssh" / "known_hosts"
    with pytest.raises(ChapbookError) as failure:
        publish_over_sftp(host, keys, tmp_path, capsule_versions()["v1"], known_hosts=known_hosts)
    assert f"unknown host key for [127.0.0.1]:{host.port}" in str(failure.value)
    assert "--accept-new-host-key" in str(failure.value) and not (host.root / "capsule").exists()
    report = publish_over_sftp(host, keys, tmp_path, capsule_versions()["v1"], known_hosts=known_hosts,
                               accept_new_host_key=True)
    assert known_hosts.read_text().startswith(f"[127.0.0.1]:{host.port} ssh-ed25519 ")
    assert any("host key added" in note for note in report.notes)
    assert not publish_over_sftp(host, keys, tmp_path, capsule_versions()["v1"], known_hosts=known_hosts).changed


def test_a_changed_host_key_is_always_refused(host, keys, tmp_path):
    known_hosts = known_hosts_for(host, keys["stranger"], tmp_path)
    with pytest.raises(ChapbookError) as failure:
        publish_over_sftp(host, keys, tmp_path, capsule_versions()["v1"], known_hosts=known_hosts,
                          accept_new_host_key=True)
    assert "has CHANGED" in str(failure.value) and "ssh-keygen -R" in str(failure.value)
    assert not (host.root / "capsule").exists()


def test_a_key_the_server_does_not_accept_fails_with_one_clear_line(host, keys, tmp_path):
    with pytest.raises(ChapbookError) as failure:
        publish_over_sftp(host, keys, tmp_path, capsule_versions()["v1"], client_keys=[keys["folder"] / "stranger"])
    message = str(failure.value)
    assert message.startswith(f"sftp://tester@127.0.0.1:{host.port}/capsule: authentication failed")
    assert "\n" not in message and "authorized_keys" in message


def test_a_folder_the_user_cannot_write_is_reported_with_its_path(host, keys, tmp_path):
    blocked = host.root / "capsule"
    blocked.write_text("a file where the capsule folder should be\n")
    with pytest.raises(ChapbookError) as failure:
        publish_over_sftp(host, keys, tmp_path, capsule_versions()["v1"])
    changes = len(tree(capsule_versions()["v1"]))
    assert "\n" not in str(failure.value) and f"0 of {changes} changes were made before" in str(failure.value)


def test_a_host_that_does_not_answer_is_one_clear_line(keys, tmp_path):
    from publish_servers import free_port

    port = free_port()
    with pytest.raises(ChapbookError) as failure:
        publish(capsule_versions()["v1"], f"sftp://tester@127.0.0.1:{port}/capsule",
                known_hosts=tmp_path / "known_hosts", client_keys=[keys["folder"] / "user"])
    assert str(failure.value) == (f"sftp://tester@127.0.0.1:{port}/capsule: 127.0.0.1 refused the connection on "
                                  f"port {port} (named by publish_to); check the port, and that the SSH server is "
                                  "running there")


def test_a_path_under_the_login_folder_stays_there(host, keys, tmp_path):
    # asyncssh's chrooted server starts a session at the chroot, the login folder of this test
    publish(capsule_versions()["v1"], f"sftp://tester@127.0.0.1:{host.port}/~/home-capsule",
            known_hosts=known_hosts_for(host, keys["host"], tmp_path), client_keys=[keys["folder"] / "user"])
    assert tree(host.root / "home-capsule") == tree(capsule_versions()["v1"])
