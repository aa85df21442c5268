"""Where a publish lands and what it says when it cannot get there (issue 27, part 4's last points), through the
real command line against the loopback hosts of tests/publish_servers.py: an sftp address without a path,
missing parent folders, and every connection failure named with where its address came from."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import run_chapbook
from publish_servers import SilentHost, StallingGeminiHost, capsule_versions, free_port, known_sftp_host, tree


@pytest.fixture
def outdir():
    return capsule_versions()["v1"].parent  # `chapbook publish OUTDIR` sends OUTDIR/gemini


@pytest.fixture
def sftp(tmp_path):
    """A loopback SFTP host whose key $HOME's known_hosts records, and the environment a user runs chapbook in."""
    host, env = known_sftp_host(tmp_path)
    yield host, env
    host.close()


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr.strip()


def project(folder, toml: str):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chapbook.toml").write_text(toml)
    return folder


# --- an sftp address without a path ------------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["", "/~", "/~/"], ids=["no-path", "tilde", "tilde-slash"])
def test_an_sftp_address_without_a_path_publishes_into_the_login_folder(written, sftp, outdir, tmp_path):
    host, env = sftp
    host.home = "home/tester"  # as OpenSSH's sftp-server: relative paths start in the user's home folder
    home = tmp_path / "remote" / "home" / "tester"
    home.mkdir(parents=True)
    result = run_chapbook("publish", str(outdir), "--to", f"sftp://tester@127.0.0.1:{host.port}{written}", env=env)
    assert result.returncode == 0, result.stderr
    files = len(tree(outdir / "gemini"))
    assert result.stdout.splitlines()[-1].startswith(
        f"published to sftp://tester@127.0.0.1:{host.port}/~/: {files} sent, 0 replaced")
    assert tree(home) == tree(outdir / "gemini") and (home / ".chapbook-manifest.json").is_file()
    assert sorted(path.name for path in (tmp_path / "remote").iterdir()) == ["home"]  # nothing at the root
    again = run_chapbook("publish", str(outdir), "--to", f"sftp://tester@127.0.0.1:{host.port}{written}", env=env)
    assert again.stdout.startswith(f"nothing changed: {files} file(s) already at "), again.stderr


# --- missing parent folders ----------------------------------------------------------------------------------------

def test_missing_parent_folders_are_made_in_a_local_folder_as_over_sftp(sftp, outdir, tmp_path):
    host, env = sftp
    folder = tmp_path / "srv" / "www" / "example.org"
    dry = run_chapbook("publish", str(outdir), "--to", str(folder), "--dry-run", env=env)
    assert dry.returncode == 0 and dry.stdout.splitlines()[-1].startswith("would publish to "), dry.stderr
    assert not (tmp_path / "srv").exists()  # a dry run makes nothing
    local = run_chapbook("publish", str(outdir), "--to", str(folder), env=env)
    assert local.returncode == 0, local.stderr
    assert tree(folder) == tree(outdir / "gemini")
    remote = run_chapbook("publish", str(outdir), "--to", f"sftp://tester@127.0.0.1:{host.port}/srv/www/example.org",
                          env=env)
    assert remote.returncode == 0, remote.stderr
    assert tree(tmp_path / "remote" / "srv" / "www" / "example.org") == tree(outdir / "gemini")


# --- connection failures, each naming where the address came from ----------------------------------------------

def test_an_unknown_host_is_named_with_where_it_was_written(outdir, tmp_path):
    by_option = one_line(run_chapbook("publish", str(outdir), "--to", "sftp://me@nosuch.invalid/srv/gemini",
                                      cwd=tmp_path, env={"HOME": str(tmp_path)}))
    # EAI_NONAME where a name server answers; EAI_AGAIN (cannot look up now) where none can be reached.
    assert re.fullmatch(r"sftp://me@nosuch\.invalid/srv/gemini: cannot (find|look up) host 'nosuch\.invalid'.*"
                        r" \(named by --to\); check the (spelling of the host name|network connection.*)", by_option)
    assert "Unknown error" not in by_option
    settings = project(tmp_path / "project", 'publish_to = "titan://nosuch.invalid/"\n')
    by_setting = one_line(run_chapbook("publish", str(outdir), cwd=settings,
                                       env={"CHAPBOOK_STATE_DIR": str(tmp_path / "state")}))
    assert by_setting.startswith("titan://nosuch.invalid/: cannot ") and "host 'nosuch.invalid'" in by_setting
    assert f"(named by publish_to in {settings / 'chapbook.toml'})" in by_setting


def test_a_refused_connection_is_named_with_where_it_was_written(outdir, tmp_path):
    closed = free_port()  # bound once and released: nothing listens there
    sftp = one_line(run_chapbook("publish", str(outdir), "--to", f"sftp://me@127.0.0.1:{closed}/x",
                                 env={"HOME": str(tmp_path)}))
    assert sftp == (f"sftp://me@127.0.0.1:{closed}/x: 127.0.0.1 refused the connection on port {closed} (named by "
                    "--to); check the port, and that the SSH server is running there")
    settings = project(tmp_path / "project", f'publish_to = "titan://localhost:{closed}/"\n')
    titan = one_line(run_chapbook("publish", str(outdir), cwd=settings,
                                  env={"CHAPBOOK_STATE_DIR": str(tmp_path / "state")}))
    assert titan.startswith(f"titan://localhost:{closed}/: localhost refused the connection on port {closed} "
                            f"(named by publish_to in {settings / 'chapbook.toml'})")


def test_a_host_that_never_answers_is_named_with_where_it_was_written(outdir, tmp_path):
    silent = SilentHost()
    try:
        settings = project(tmp_path / "project", f'publish_to = "sftp://me@127.0.0.1:{silent.port}/x"\n'
                                                 "publish_timeout = 1\n")
        sftp = one_line(run_chapbook("publish", str(outdir), cwd=settings, env={"HOME": str(tmp_path)}))
        assert sftp.startswith(f"sftp://me@127.0.0.1:{silent.port}/x: the host did not answer within 1 s while "
                               f"connecting and logging in (named by publish_to in {settings / 'chapbook.toml'})")
        (settings / "chapbook.toml").write_text("publish_timeout = 1\n")
        titan = one_line(run_chapbook("publish", str(outdir), "--to", f"titan://localhost:{silent.port}/",
                                      cwd=settings, env={"CHAPBOOK_STATE_DIR": str(tmp_path / "state")}))
        assert titan.startswith(f"titan://localhost:{silent.port}/: the host did not answer within 1 s while ")
        assert "(named by --to)" in titan
    finally:
        silent.close()


def test_a_changed_host_key_names_where_the_address_was_written(sftp, outdir, tmp_path):
    import asyncssh

    host, env = sftp
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode("ascii").split()
    (tmp_path / "home" / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{host.port} {stranger[0]} {stranger[1]}\n")
    line = one_line(run_chapbook("publish", str(outdir), "--to", f"sftp://tester@127.0.0.1:{host.port}/capsule",
                                 env=env))
    assert line.startswith(f"sftp://tester@127.0.0.1:{host.port}/capsule: the host key of [127.0.0.1]:{host.port} "
                           "(named by --to) has CHANGED")
    assert "ssh-keygen -R" in line and not (tmp_path / "remote" / "capsule").exists()


def test_a_changed_capsule_certificate_names_where_the_address_was_written(outdir, tmp_path):
    host = StallingGeminiHost(tmp_path / "tls")
    try:
        state = tmp_path / "state"
        state.mkdir()
        (state / "known-capsules").write_text(f"localhost:{host.port} SHA256:{'0' * 64}\n")
        settings = project(tmp_path / "project", f'publish_to = "titan://localhost:{host.port}/"\n')
        line = one_line(run_chapbook("publish", str(outdir), cwd=settings,
                                     env={"CHAPBOOK_STATE_DIR": str(state), "CHAPBOOK_TITAN_TOKEN": "pin-test-token"}))
    finally:
        host.close()
    assert line.startswith(f"localhost:{host.port}: the server's certificate changed since chapbook first connected "
                           f"(pinned SHA256:{'0' * 64}, now SHA256:")
    assert f"; the host named by publish_to in {settings / 'chapbook.toml'}); someone may be intercepting" in line
    assert b"pin-test-token" not in b"".join(host.requests)  # refused before the request (and its token) was sent

