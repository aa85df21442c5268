"""Real servers on loopback for the publish tests: asyncssh's SFTP server, gmcapsule (Titan and Gemini).

Shared by tests/test_publish*.py; nothing here is a stand-in: each speaks the real protocol.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from conftest import ESSAY, run_chapbook

from pipeline.publish.plan import MANIFEST

SECOND_POST = """---
title: a second post
lang: en
date: 2024-08-02
---

short, and [disclaimer: nothing here is advice].
"""


def make_sources(folder: Path) -> list[Path]:
    """The essay and a second, short post, in `folder` (which the tests then edit)."""
    folder.mkdir(parents=True, exist_ok=True)
    essay = folder / "essay.md"
    shutil.copyfile(ESSAY, essay)
    second = folder / "second.md"
    second.write_text(SECOND_POST, encoding="utf-8")
    return [essay, second]


def build_capsule(sources: list[Path], outdir: Path) -> Path:
    """`chapbook build -f gemini` of `sources` into `outdir`; the capsule folder."""
    result = run_chapbook("build", "-q", "-f", "gemini", "-o", str(outdir), *map(str, sources))
    assert result.returncode == 0, result.stderr
    return outdir / "gemini"


def tree(folder: Path, hidden: bool = True) -> dict[str, bytes]:
    """Every file under `folder` by relative path, without the manifest (and without dot files if not `hidden`)."""
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and relative != MANIFEST and (hidden or not any(p.startswith(".") for p in path.parts[
                len(folder.parts):])):
            files[relative] = path.read_bytes()
    return files


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SFTPHost:
    """asyncssh's SFTP server chrooted to `root`, in a thread of its own, recording what is written to it.

    `drop_after` (bytes) makes it abort the connection once that much file data has arrived. The hostile
    host of issue 28 is the same server told to misbehave: `stall` holds the steps at which it stops
    answering (`login`, `lstat`, `open`, `read`, `write`, `scandir`), `fail_after` (bytes) answers a write
    with an SFTP failure mid-file, `size_lie` is added to every size it reports, and `write_delay` (seconds)
    slows every write (a long publish, to interrupt). `home` (a path under the root, e.g. "home/tester") is
    where a relative path lands, as OpenSSH's sftp-server runs in the user's home folder (sshd changes to it
    before starting the subsystem); without it, relative paths start at the root, asyncssh's default.
    """

    def __init__(self, root: Path, host_key, authorized_key) -> None:
        self.root = root
        self.host_key = host_key
        self.authorized_key = authorized_key
        self.written: list[str] = []
        self.bytes_written = 0
        self.drop_after: int | None = None
        self.fail_after: int | None = None
        self.stall: set[str] = set()
        self.size_lie = 0
        self.write_delay = 0.0
        self.home: str | None = None
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(lambda _loop, _context: None)  # a stalled handler is dropped at close
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _start(self):
        import asyncssh

        host = self

        class RecordingSFTPServer(asyncssh.SFTPServer):
            def __init__(self, channel):
                super().__init__(channel, chroot=str(host.root))

            def map_path(self, path):
                if host.home and not path.startswith(b"/"):
                    path = b"/" + host.home.encode() + b"/" + path
                return super().map_path(path)

            async def open(self, path, pflags, attrs):
                await host.pause("open")
                if pflags & asyncssh.FXF_WRITE:
                    host.written.append(os.fsdecode(path).lstrip("/"))  # the path the client asked for
                return super().open(path, pflags, attrs)

            async def read(self, file_obj, offset, size):
                await host.pause("read")
                return super().read(file_obj, offset, size)

            async def write(self, file_obj, offset, data):
                await host.pause("write")
                await asyncio.sleep(host.write_delay)
                host.bytes_written += len(data)
                if host.drop_after is not None and host.bytes_written > host.drop_after:
                    self.channel.get_connection().abort()  # the line drops mid-file
                    raise asyncssh.SFTPConnectionLost("connection dropped by the test")
                if host.fail_after is not None and host.bytes_written > host.fail_after:
                    raise asyncssh.SFTPFailure("the disk gave up mid-file")
                return super().write(file_obj, offset, data)

            async def lstat(self, path):
                await host.pause("lstat")
                attrs = asyncssh.SFTPAttrs.from_local(super().lstat(path))
                if attrs.size is not None:
                    attrs.size += host.size_lie
                return attrs

            async def scandir(self, path):
                await host.pause("scandir")
                async for name in super().scandir(path):
                    if name.attrs.size is not None:
                        name.attrs.size += host.size_lie
                    yield name

        class StallingSSHServer(asyncssh.SSHServer):
            async def begin_auth(self, username):
                await host.pause("login")
                return True

        return await asyncssh.create_server(
            StallingSSHServer, "127.0.0.1", 0, server_host_keys=[self.host_key],
            authorized_client_keys=asyncssh.import_authorized_keys(
                self.authorized_key.export_public_key("openssh").decode("ascii")),
            sftp_factory=RecordingSFTPServer, allow_scp=False)

    async def pause(self, step: str) -> None:
        """Stop answering (for longer than any test waits) when told to stall at `step`."""
        if step in self.stall:
            await asyncio.sleep(3600)

    def sent(self) -> list[str]:
        """The files written since the last call, by path under the root (temporary names mapped back)."""
        names = [name for name in self.written if not name.endswith(MANIFEST) and
                 not name.endswith(MANIFEST + ".chapbook.part")]
        self.written.clear()
        return [_final_name(name) for name in names]

    def close(self) -> None:
        # The server belongs to the loop's thread: closing it from this thread raced with the loop
        # (asyncio servers are not thread-safe), so it is closed there.
        async def shut() -> None:
            self.server.close()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(shut(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


class SilentHost:
    """A TCP port that takes connections and never says a word: the host that stalls before any protocol."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)  # the kernel completes each handshake; nothing ever accepts or answers
        self.port = self.socket.getsockname()[1]

    def close(self) -> None:
        self.socket.close()


def sftp_host_for_home(tmp_path: Path) -> tuple[SFTPHost, object, Path]:
    """An SFTP host chrooted to `tmp_path/remote` that accepts a key written to `tmp_path/home/.ssh/id_ed25519`,
    as a user's $HOME holds it; the host, its key (for known_hosts) and the .ssh folder."""
    import asyncssh

    ssh = tmp_path / "home" / ".ssh"
    ssh.mkdir(parents=True)
    user_key, host_key = asyncssh.generate_private_key("ssh-ed25519"), asyncssh.generate_private_key("ssh-ed25519")
    user_key.write_private_key(str(ssh / "id_ed25519"))
    os.chmod(ssh / "id_ed25519", 0o600)
    (tmp_path / "remote").mkdir()
    return SFTPHost(tmp_path / "remote", host_key, user_key), host_key, ssh


def known_sftp_host(tmp_path: Path) -> tuple[SFTPHost, dict[str, str]]:
    """An SFTP host as sftp_host_for_home makes it, already in $HOME's known_hosts, and the environment a user runs
    chapbook in (that $HOME, a state folder of its own, no SSH agent)."""
    host, host_key, ssh = sftp_host_for_home(tmp_path)
    algorithm, blob = host_key.export_public_key("openssh").decode("ascii").split()[:2]
    (ssh / "known_hosts").write_text(f"[127.0.0.1]:{host.port} {algorithm} {blob}\n")
    env = {"HOME": str(tmp_path / "home"), "CHAPBOOK_STATE_DIR": str(tmp_path / "state"), "SSH_AUTH_SOCK": ""}
    return host, env


def _final_name(name: str) -> str:
    folder, _, file_name = name.rpartition("/")
    if file_name.startswith(".") and file_name.endswith(".chapbook.part"):
        file_name = file_name[1:].removesuffix(".chapbook.part")
    return f"{folder}/{file_name}" if folder else file_name


TITAN_MODULE = '''
"""chapbook test host: Titan uploads into the static root, and an Antenna-like ping recorder"""
import json, os, tempfile
from urllib.parse import unquote

ROOT = {root!r}
LOG = {log!r}
TOKEN = {token!r}


def record(entry):
    with open(LOG, "a", encoding="utf-8") as stream:
        stream.write(json.dumps(entry) + "\\n")


def upload(request):
    token = unquote(request.content_token or "")
    if token != TOKEN:
        return 61, "token not accepted"
    path = unquote(request.path).lstrip("/")
    target = os.path.realpath(os.path.join(ROOT, path))
    if not target.startswith(os.path.realpath(ROOT) + os.sep):
        return 59, "outside the capsule"
    data = request.content or b""
    record({{"path": path, "size": len(data), "mime": unquote(request.content_mime or ""), "token": token}})
    if not data:
        if os.path.exists(target):
            os.remove(target)
        return 30, "gemini://localhost/"
    os.makedirs(os.path.dirname(target), exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".upload-")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.replace(temporary, target)
    return 30, "gemini://localhost/" + path


def ping(request):
    record({{"ping": unquote(request.query or "")}})
    return 20, "text/gemini", "thank you\\n"


def init(context):
    context.add("/~antenna/submit", ping)
    context.add("/*", upload, protocol="titan")
'''


class GmCapsuleHost:
    """gmcapsule (PyPI) serving `root` over Gemini as `localhost`, taking Titan uploads with `token`."""

    def __init__(self, folder: Path, token: str) -> None:
        self.folder = folder
        self.root = folder / "content" / "localhost"  # gmcapsule serves root/<host name>/
        self.root.mkdir(parents=True)
        self.log = folder / "requests.jsonl"
        self.port = free_port()
        modules = folder / "modules"
        modules.mkdir()
        (modules / "10_chapbook_test.py").write_text(
            textwrap.dedent(TITAN_MODULE.format(root=str(self.root), log=str(self.log), token=token)))
        (folder / "server.ini").write_text(textwrap.dedent(f"""\
            [server]
            host = localhost
            address = 127.0.0.1
            port = {self.port}
            certs = {folder / "certs"}
            modules = {modules}
            processes = 0
            threads = 2

            [titan]
            require_identity = false

            [static]
            root = {folder / "content"}
            """))
        self.output = folder / "server.log"
        with self.output.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "import sys, gmcapsule; sys.exit(gmcapsule.run_server())", "-c",
                 str(folder / "server.ini")], cwd=folder, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                assert self.process.poll() is None, self.output.read_text()
                assert time.monotonic() < deadline, "gmcapsule did not start"
                time.sleep(0.1)

    def requests(self) -> list[dict]:
        """Every upload and ping the host recorded, in order."""
        import json

        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


_VERSIONS: dict[str, Path] = {}


def capsule_versions() -> dict[str, Path]:
    """Three builds, made once per test session: `v1` (essay and a second post), `v2` (the second post
    edited), `v3` (the second post's source removed). Tests read them and never change them."""
    if not _VERSIONS:
        import atexit
        import tempfile

        work = Path(tempfile.mkdtemp(prefix="chapbook-publish-"))
        atexit.register(shutil.rmtree, work, True)
        essay, second = make_sources(work / "source")
        _VERSIONS["v1"] = build_capsule([essay, second], work / "v1")
        second.write_text(SECOND_POST.replace("short, and", "short, edited, and"), encoding="utf-8")
        _VERSIONS["v2"] = build_capsule([essay, second], work / "v2")
        _VERSIONS["v3"] = build_capsule([essay], work / "v3")
    return _VERSIONS


def second_post_files() -> list[str]:
    """The files the second post's source makes in the capsule (its page and its other editions), in the
    order a publish sends or deletes them."""
    from pipeline.publish.plan import publish_rank

    versions = capsule_versions()
    return sorted(set(tree(versions["v1"])) - set(tree(versions["v3"])), key=publish_rank)


def changed_files(old: Path, new: Path) -> set[str]:
    """The files of capsule `new` that are not byte-identical in capsule `old`."""
    before, after = tree(old), tree(new)
    return {path for path, data in after.items() if before.get(path) != data}


class StallingGeminiHost:
    """A Gemini host that completes TLS, reads the request (and any Titan body), then never answers; or,
    with `answer`, answers that line at once (a host echoing the request in its error, say)."""

    def __init__(self, folder: Path, answer: bytes | None = None) -> None:
        import ssl

        from pipeline.serve.capsule import ensure_certificate

        certfile, keyfile = ensure_certificate(folder, ["localhost", "127.0.0.1", "::1"])
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certfile, keyfile)
        self.answer = answer
        self.requests: list[bytes] = []
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.port = self.socket.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.socket.accept()
                stream = self.context.wrap_socket(raw, server_side=True)
                request = self._read_request(stream)
            except OSError:
                if self.socket.fileno() < 0:
                    return
                continue
            self.requests.append(request)
            if self.answer is not None:
                stream.sendall(self.answer.replace(b"{request}", request.split(b"\r\n")[0]))
                stream.close()
            else:
                self.held.append(stream)  # kept open, never answered

    @staticmethod
    def _read_request(stream) -> bytes:
        """The request line and the whole Titan body (`;size=N`): answering earlier would reset the connection
        under the client's upload, and the answer would be lost."""
        import re

        data = b""
        while b"\r\n" not in data and (chunk := stream.recv(4096)):
            data += chunk
        size = re.search(rb";size=(\d+)", data.split(b"\r\n")[0])
        while size and len(data) < len(data.split(b"\r\n")[0]) + 2 + int(size.group(1)) and \
                (chunk := stream.recv(65536)):
            data += chunk
        return data

    def close(self) -> None:
        self.socket.close()
        for stream in self.held:
            stream.close()
