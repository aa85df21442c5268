"""`chapbook publish` as a user runs it: the real command in a subprocess, settings from chapbook.toml,
SSH keys and known_hosts from $HOME, the token from the environment, one line per failure."""

from __future__ import annotations

import pytest
from conftest import run_chapbook
from publish_servers import GmCapsuleHost, capsule_versions, sftp_host_for_home, tree

from pipeline.words.measure import human_size

TOKEN = "cli-titan-token-9f8e"


@pytest.fixture(scope="module")
def outdir():
    return capsule_versions()["v1"].parent  # `chapbook publish OUTDIR` sends OUTDIR/gemini


def environment(tmp_path, **extra) -> dict:
    env = {"HOME": str(tmp_path / "home"), "CHAPBOOK_STATE_DIR": str(tmp_path / "state"), "SSH_AUTH_SOCK": ""}
    return env | extra


def test_publish_to_a_folder_then_nothing_to_send(outdir, tmp_path):
    destination = tmp_path / "srv"
    first = run_chapbook("publish", str(outdir), "--to", destination.as_uri(), env=environment(tmp_path))
    assert first.returncode == 0, first.stderr
    assert tree(destination) == tree(outdir / "gemini")
    files = len(tree(outdir / "gemini"))
    assert first.stdout.splitlines()[-1].startswith(f"published to {destination.as_uri()}: {files} sent, 0 replaced")
    second = run_chapbook("publish", str(outdir), "--to", str(destination), env=environment(tmp_path))
    assert second.returncode == 0 and second.stdout.splitlines() == [
        f"nothing changed: {files} file(s) already at {destination.as_uri()}, nothing sent"]


def test_dry_run_prints_the_plan_and_touches_nothing(outdir, tmp_path):
    destination = tmp_path / "srv"
    result = run_chapbook("publish", str(outdir), "--to", str(destination), "--dry-run", env=environment(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    capsule = tree(outdir / "gemini")
    shown = {path: human_size(len(data)) for path, data in capsule.items()}
    assert len(lines) == len(capsule) + 1 and all(line.startswith("send    ") for line in lines[:-1])
    assert lines[-4:-1] == [f"send    {path} ({shown[path]})" for path in
                            ("gemlog/index.gmi", "gemlog/atom.xml", "index.gmi")]
    assert lines[-1].startswith("would publish to ") and not destination.exists()


def test_settings_name_the_destination_and_antenna_gets_one_ping(outdir, tmp_path):
    host = GmCapsuleHost(tmp_path / "gmcapsule", TOKEN)
    try:
        project = tmp_path / "project"
        project.mkdir()
        (project / "chapbook.toml").write_text(
            f'publish_to = "titan://localhost:{host.port}/"\n'
            f'antenna_url = "gemini://localhost:{host.port}/~antenna/submit"\n')
        env = environment(tmp_path, CHAPBOOK_TITAN_TOKEN=TOKEN)
        for _ in range(2):  # the second publish changes nothing, so it pings nobody
            result = run_chapbook("publish", str(outdir), cwd=project, env=env)
            assert result.returncode == 0, result.stderr
            assert TOKEN not in result.stdout + result.stderr
        assert tree(host.root) == tree(outdir / "gemini", hidden=False)
        pings = [r["ping"] for r in host.requests() if "ping" in r]
        assert pings == [f"gemini://localhost:{host.port}/gemlog/atom.xml"]
        stored = b"".join(p.read_bytes() for p in (tmp_path / "state").rglob("*") if p.is_file())
        assert TOKEN.encode() not in stored
    finally:
        host.close()


def test_sftp_uses_the_keys_and_known_hosts_in_home(outdir, tmp_path):
    host, _, ssh = sftp_host_for_home(tmp_path)
    try:
        destination = f"sftp://tester@127.0.0.1:{host.port}/capsule"
        refused = run_chapbook("publish", str(outdir), "--to", destination, env=environment(tmp_path))
        assert refused.returncode == 1 and len(refused.stderr.splitlines()) == 1, refused.stderr
        assert refused.stderr.startswith(f"{destination}: unknown host key for [127.0.0.1]:{host.port}")
        accepted = run_chapbook("publish", str(outdir), "--to", destination, "--accept-new-host-key",
                                env=environment(tmp_path))
        assert accepted.returncode == 0, accepted.stderr
        assert f"[127.0.0.1]:{host.port} ssh-ed25519" in (ssh / "known_hosts").read_text()
        assert tree(tmp_path / "remote" / "capsule") == tree(outdir / "gemini")
    finally:
        host.close()


def test_without_a_destination_or_a_capsule_it_says_what_to_do(outdir, tmp_path):
    nowhere = run_chapbook("publish", str(outdir), cwd=tmp_path, env=environment(tmp_path))
    assert nowhere.returncode == 1 and nowhere.stderr.splitlines() == [
        "publish: no destination to publish to; pass --to or set publish_to in chapbook.toml "
        "(sftp://me@example.org/srv/gemini, titan://example.org/, file:///srv/gemini)"]
    empty = run_chapbook("publish", str(tmp_path), "--to", str(tmp_path / "srv"), env=environment(tmp_path))
    assert empty.returncode == 1 and len(empty.stderr.splitlines()) == 1
    assert "run chapbook build -f gemini first" in empty.stderr
