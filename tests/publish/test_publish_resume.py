"""Publishing that resumes and says what it did (issue 27, part 4), through the real command line against
the loopback SFTP host of tests/publish_servers.py: an interrupted publish finished without resending what
arrived, a leftover temporary file removed, Ctrl-C between files, a dry run that writes nothing, and
destinations that say their scheme."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, run_chapbook
from publish_servers import GmCapsuleHost, SilentHost, capsule_versions, changed_files, known_sftp_host, tree

from pipeline.publish.plan import MANIFEST, publish_rank


@pytest.fixture
def sftp(tmp_path):
    """A loopback SFTP host whose key $HOME's known_hosts records, and the environment a user runs chapbook in."""
    host, env = known_sftp_host(tmp_path)
    yield host, env
    host.close()


def address(host) -> str:
    return f"sftp://tester@127.0.0.1:{host.port}/capsule"


def publish(version: str, host, env, *args: str) -> subprocess.CompletedProcess:
    return run_chapbook("publish", str(capsule_versions()[version].parent), "--to", address(host), *args, env=env)


def summary(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def identical_on_host(remote, version: str) -> set[str]:
    """The files of capsule `version` already at the host, byte for byte."""
    there = tree(remote) if remote.is_dir() else {}
    return {path for path, data in tree(capsule_versions()[version]).items() if there.get(path) == data}


def leftovers(remote) -> list[str]:
    return sorted(path.name for path in remote.rglob("*.chapbook.part"))


@pytest.mark.parametrize("before", [None, "v1"], ids=["no-manifest-yet", "stale-manifest"])
def test_a_publish_cut_off_mid_upload_is_finished_by_sending_only_what_is_missing(before, sftp, tmp_path):
    host, env = sftp
    remote = tmp_path / "remote" / "capsule"
    if before:
        summary(publish(before, host, env))
    host.sent()
    v2 = tree(capsule_versions()["v2"])
    order = sorted(changed_files(capsule_versions()[before], capsule_versions()["v2"]) if before else v2,
                   key=publish_rank)
    # The disk gives up in the fourth file of the upload.
    host.fail_after = host.bytes_written + sum(len(v2[path]) for path in order[:3]) + 10
    failed = publish("v2", host, env)
    assert failed.returncode == 1 and "the disk gave up mid-file" in failed.stderr, failed.stderr
    host.fail_after = None
    arrived = identical_on_host(remote, "v2")
    to_send = set(tree(capsule_versions()["v2"])) - arrived
    attempted = {path.removeprefix("capsule/") for path in host.sent()}
    assert leftovers(remote), "the failed upload leaves its temporary file, as a dropped line would"
    # Files the cut-off publish completed, which its manifest (none, or the previous version's) does not vouch for.
    assert len(arrived & attempted) == 3 and to_send

    line = summary(publish("v2", host, env))
    assert {path.removeprefix("capsule/") for path in host.sent()} == to_send  # nothing that had arrived travels again
    assert tree(remote) == tree(capsule_versions()["v2"])
    assert leftovers(remote) == []
    replaced = len(to_send & set(tree(capsule_versions()[before]))) if before else 0
    assert f"{len(to_send) - replaced} sent, {replaced} replaced, 0 deleted, {len(arrived)} unchanged" in line
    recorded = json.loads((remote / MANIFEST).read_text())["files"]
    assert set(recorded) == set(tree(remote))


def test_a_leftover_temporary_file_is_removed_even_when_nothing_else_changed(sftp, tmp_path):
    host, env = sftp
    summary(publish("v1", host, env))
    leftover = tmp_path / "remote" / "capsule" / "gemlog" / ".index.gmi.chapbook.part"
    leftover.write_bytes(b"half a page")
    dry = publish("v1", host, env, "--dry-run")
    assert dry.returncode == 0 and leftover.exists()  # a dry run removes nothing either
    result = publish("v1", host, env)
    assert result.returncode == 0, result.stderr
    assert not leftover.exists()
    assert "removed 1 temporary file(s)" in result.stderr


def test_a_dry_run_accepting_a_new_host_key_writes_no_known_hosts(sftp, tmp_path):
    host, env = sftp
    known_hosts = tmp_path / "home" / ".ssh" / "known_hosts"
    known_hosts.unlink()
    result = publish("v1", host, env, "--dry-run", "--accept-new-host-key")
    assert result.returncode == 0, result.stderr
    assert summary(result).startswith("would publish to")
    assert not known_hosts.exists()
    assert "not added to" in result.stderr and "a dry run writes nothing" in result.stderr
    assert not (tmp_path / "remote" / "capsule").exists()
    real = publish("v1", host, env, "--accept-new-host-key")
    assert real.returncode == 0 and f"[127.0.0.1]:{host.port} ssh-ed25519" in known_hosts.read_text()


def interrupted_publish(host, env, after_files: int, presses: int, write_delay: float) -> str:
    """`chapbook publish` of v1 to a host slowed to `write_delay` s a write, sent SIGINT `presses` times (0.2 s
    apart) once it has begun to send its `after_files`th file; its one line on stderr (its exit status checked)."""
    host.write_delay = write_delay
    environment = dict(os.environ, **env, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "publish", str(capsule_versions()["v1"].parent),
                                "--to", address(host)], env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(host.written) < after_files and time.monotonic() < deadline:
        time.sleep(0.05)
    for press in range(presses):
        time.sleep(0.2 if press else 0)
        process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    host.write_delay = 0
    # 128 + SIGINT, as shells report a command Ctrl-C killed and rclone exits (rsync says 20: docs/publishing.md)
    assert process.returncode == 130 and len(stderr.splitlines()) == 1 and "Traceback" not in stderr, stderr
    return stderr


def test_ctrl_c_stops_between_files_says_how_far_it_got_and_the_rerun_finishes(sftp, tmp_path):
    host, env = sftp
    remote = tmp_path / "remote" / "capsule"
    capsule = tree(capsule_versions()["v1"])
    stderr = interrupted_publish(host, env, after_files=3, presses=1, write_delay=0.3)
    sent = [path.removeprefix("capsule/") for path in host.sent()]
    assert f"stopped by Ctrl-C: {len(sent)} file(s) sent" in stderr and "publish again to finish" in stderr
    assert 3 <= len(sent) < len(capsule)
    # The host is as its manifest says: every file it records is there with that content, no half file.
    recorded = json.loads((remote / MANIFEST).read_text())["files"]
    assert set(recorded) == set(tree(remote)) == set(sent)
    assert leftovers(remote) == []
    line = summary(publish("v1", host, env))
    assert sorted(path.removeprefix("capsule/") for path in host.sent()) == sorted(set(capsule) - set(sent))
    assert f"{len(capsule) - len(sent)} sent, 0 replaced, 0 deleted, {len(sent)} unchanged" in line
    assert tree(remote) == capsule


def test_ctrl_c_while_connecting_says_nothing_was_changed(tmp_path):
    silent = SilentHost()  # takes the connection and never says a word: publish waits in the SSH handshake
    try:
        process = subprocess.Popen([sys.executable, "-m", "pipeline", "publish", str(capsule_versions()["v1"].parent),
                                    "--to", f"sftp://me@127.0.0.1:{silent.port}/x"], stderr=subprocess.PIPE, text=True,
                                   env=dict(os.environ, HOME=str(tmp_path), PYTHONPATH=str(ROOT)))
        time.sleep(2)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        silent.close()
    assert process.returncode == 130 and stderr.splitlines() == [
        f"sftp://me@127.0.0.1:{silent.port}/x: stopped by Ctrl-C before anything was changed there; publish again "
        "when you are ready"], stderr


def test_a_second_ctrl_c_stops_mid_file_says_so_and_the_rerun_finishes(sftp, tmp_path):
    host, env = sftp
    remote = tmp_path / "remote" / "capsule"
    capsule = tree(capsule_versions()["v1"])
    stderr = interrupted_publish(host, env, after_files=2, presses=2, write_delay=1.0)
    assert stderr.startswith(f"{address(host)}: stopped at once by a second Ctrl-C, in the middle of a file")
    assert "publish again to finish" in stderr
    arrived = identical_on_host(remote, "v1")
    assert leftovers(remote) and not (remote / MANIFEST).exists()  # cut mid-file, before any manifest
    host.sent()
    line = summary(publish("v1", host, env))
    assert f"{len(capsule) - len(arrived)} sent, 0 replaced, 0 deleted, {len(arrived)} unchanged" in line
    assert tree(remote) == capsule and leftovers(remote) == []


@pytest.mark.parametrize(("destination", "expected"), [
    ("me@example.org:gemini", "me@example.org:gemini: --to: host:path is scp's way of writing a remote folder, "
     "and chapbook needs the scheme; write sftp://me@example.org/~/gemini"),
    ("example.org:/srv/gemini", "example.org:/srv/gemini: --to: host:path is scp's way of writing a remote "
     "folder, and chapbook needs the scheme; write sftp://example.org/srv/gemini"),
    ("gemini", "gemini: --to: a destination says its scheme; write ./gemini for a folder here"),
])
def test_a_destination_without_a_scheme_is_refused_in_one_line(destination, expected, tmp_path):
    result = run_chapbook("publish", str(capsule_versions()["v1"].parent), "--to", destination, cwd=tmp_path)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(expected)
    assert list(tmp_path.iterdir()) == []  # no local folder made of it


def test_errors_name_the_file_a_destination_came_from_and_a_file_is_no_folder(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "chapbook.toml").write_text('publish_to = "me@example.org:gemini"\n')
    outdir = str(capsule_versions()["v1"].parent)
    setting = run_chapbook("publish", outdir, cwd=project)
    assert setting.returncode == 1 and len(setting.stderr.splitlines()) == 1, setting.stderr
    assert f"publish_to in {project / 'chapbook.toml'}: host:path" in setting.stderr
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine\n")
    refused = run_chapbook("publish", outdir, "--to", str(a_file), cwd=project)
    assert refused.returncode == 1 and refused.stderr.splitlines() == [
        f"{a_file.as_uri()}: --to: this is a file, and chapbook publishes into a folder; name a folder (--to)"]
    assert a_file.read_text() == "mine\n"


def test_a_titan_dry_run_pins_no_certificate(tmp_path):
    host = GmCapsuleHost(tmp_path / "gmcapsule", "resume-token")
    try:
        env = {"CHAPBOOK_STATE_DIR": str(tmp_path / "state"), "CHAPBOOK_TITAN_TOKEN": "resume-token"}
        destination = f"titan://localhost:{host.port}/"
        first = run_chapbook("publish", str(capsule_versions()["v1"].parent), "--to", destination, env=env)
        assert first.returncode == 0, first.stderr
        pins = tmp_path / "state" / "known-capsules"
        pins.unlink()
        # The second post is gone from v3: the dry run reads its files back over Gemini before planning to delete them.
        dry = run_chapbook("publish", str(capsule_versions()["v3"].parent), "--to", destination, "--dry-run", env=env)
        assert dry.returncode == 0, dry.stderr
        assert "delete  " in dry.stdout and "not pinned (a dry run writes nothing)" in dry.stderr
        assert not pins.exists()
    finally:
        host.close()


def test_a_folder_whose_manifest_was_lost_is_read_back_and_nothing_is_sent_again(tmp_path):
    srv = tmp_path / "srv"
    outdir = str(capsule_versions()["v1"].parent)
    assert run_chapbook("publish", outdir, "--to", str(srv)).returncode == 0
    (srv / MANIFEST).unlink()
    written = {path: path.stat().st_mtime_ns for path in srv.rglob("*") if path.is_file()}
    again = run_chapbook("publish", outdir, "--to", str(srv))
    files = len(tree(capsule_versions()["v1"]))
    assert summary(again) == f"nothing changed: {files} file(s) already at {srv.as_uri()}, nothing sent"
    assert {path: path.stat().st_mtime_ns for path in written} == written  # not one file rewritten
    assert set(json.loads((srv / MANIFEST).read_text())["files"]) == set(tree(srv))  # the manifest is back
