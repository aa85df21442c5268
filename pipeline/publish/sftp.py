"""Publishing by SFTP with asyncssh: keys from the SSH agent or ~/.ssh, the host key checked like OpenSSH's.

The host key must be in known_hosts (`[host]:port` for other ports than 22). An unknown host is refused
unless accept_new_host_key is set (ssh's StrictHostKeyChecking=accept-new: the key is added); a key that
differs from the recorded one is always refused. Each file is written under a temporary name beside its
place, then renamed over it with the `posix-rename@openssh.com` extension, so a reader never fetches half a
page and a dropped connection leaves the old file or the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import stat
from pathlib import Path, PurePosixPath

from pipeline.errors import ChapbookError
from pipeline.publish.destination import Destination, connection_failure
from pipeline.publish.plan import MANIFEST

CONNECT_TIMEOUT = 30
_AGAIN = "publish again to finish (files already sent are complete)"


def known_hosts_name(host: str, port: int) -> str:
    """How OpenSSH names a host in known_hosts."""
    return host if port == 22 else f"[{host}]:{port}"


def temporary_name(relative: str) -> str:
    """The name a file is uploaded under before it is renamed into place (the same each time, so a dropped
    upload's leftover is overwritten by the next publish)."""
    path = PurePosixPath(relative)
    return str(path.with_name(f".{path.name}.chapbook.part"))


class _HostKeyVerdict:
    """What was wrong with the host key, recorded by the check so the error can say it."""

    def __init__(self) -> None:
        self.problem = ""
        self.fingerprint = ""


def _client_factory(known_hosts: Path, accept_new: bool, verdict: _HostKeyVerdict):
    import asyncssh

    class HostKeyCheck(asyncssh.SSHClient):
        # asyncssh calls this only for a key not among the known_hosts matches given to it.
        def validate_host_public_key(self, host, addr, port, key) -> bool:
            verdict.fingerprint = f"{key.get_algorithm()} {key.get_fingerprint('sha256')}"
            if _recorded_keys(known_hosts, host, addr, port):
                verdict.problem = "changed"
                return False
            if not accept_new:
                verdict.problem = "unknown"
                return False
            known_hosts.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            algorithm, blob = key.export_public_key("openssh").decode("ascii").split()[:2]
            line = f"{known_hosts_name(host, port)} {algorithm} {blob}"
            with known_hosts.open("a", encoding="ascii") as stream:
                stream.write(line + "\n")
            verdict.problem = "added"
            return True

    return HostKeyCheck


def _recorded_keys(known_hosts: Path, host: str, addr: str, port: int) -> list:
    import asyncssh

    if not known_hosts.is_file():
        return []
    return list(asyncssh.match_known_hosts(str(known_hosts), host, addr, port)[0])


class SFTPTransport:
    """One SSH connection and SFTP session for the whole publish, driven from synchronous code."""

    remote_manifest = True

    def __init__(self, destination: Destination, known_hosts: Path, accept_new_host_key: bool = False,
                 client_keys: list[Path] | None = None, notes: list[str] | None = None) -> None:
        self.destination = destination
        self.known_hosts = known_hosts
        self.accept_new = accept_new_host_key
        self.client_keys = client_keys
        self.notes = notes if notes is not None else []
        self._loop = asyncio.new_event_loop()
        self._connection = None
        self._sftp = None
        self._made_folders: set[str] = set()
        try:
            self._run(self._connect())
        except BaseException:
            self.close()
            raise

    def _run(self, coroutine):
        import asyncssh

        try:
            return self._loop.run_until_complete(coroutine)
        except asyncssh.SFTPError as error:
            raise self._sftp_failure(error) from None
        except (asyncssh.DisconnectError, asyncssh.ConnectionLost, ConnectionError, EOFError) as error:
            raise ChapbookError(str(self.destination), f"connection lost ({_reason(error)})", _AGAIN) from None

    def _sftp_failure(self, error) -> ChapbookError:
        import asyncssh

        if isinstance(error, asyncssh.SFTPConnectionLost):
            return ChapbookError(str(self.destination), f"connection lost ({_reason(error)})", _AGAIN)
        kinds = {asyncssh.SFTPPermissionDenied: "permission denied", asyncssh.SFTPNoSuchFile: "no such path",
                 asyncssh.SFTPNoSpaceOnFilesystem: "disk full", asyncssh.SFTPQuotaExceeded: "disk quota exceeded"}
        kind = next((text for cls, text in kinds.items() if isinstance(error, cls)), "failed")
        return ChapbookError(str(self.destination), f"{kind} ({_reason(error)})",
                             "fix it on the host and " + _AGAIN)

    async def _connect(self) -> None:
        import asyncssh

        verdict = _HostKeyVerdict()
        host, port = self.destination.host, self.destination.port
        options = {"username": self.destination.user or None, "connect_timeout": CONNECT_TIMEOUT,
                   "known_hosts": lambda h, a, p: (_recorded_keys(self.known_hosts, h, a, p), [], []),
                   "client_factory": _client_factory(self.known_hosts, self.accept_new, verdict),
                   "preferred_auth": "publickey", "password": None, "kbdint_auth": False}
        if self.client_keys is not None:
            options |= {"client_keys": [str(key) for key in self.client_keys], "agent_path": None}
        where = str(self.destination)
        try:
            self._connection = await asyncssh.connect(host, port, **options)
            self._sftp = await self._connection.start_sftp_client()
        except asyncssh.HostKeyNotVerifiable as error:
            name = known_hosts_name(host, port)
            if not verdict.problem:  # refused before our check: a revoked key, an untrusted certificate
                raise ChapbookError(where, f"the host key of {name} was refused ({_reason(error)})",
                                    f"check the entries for {name} in {self.known_hosts}") from None
            if verdict.problem == "changed":
                raise ChapbookError(where, f"the host key of {name} has CHANGED ({verdict.fingerprint} is not the "
                                    f"key recorded in {self.known_hosts}); someone may be intercepting the "
                                    "connection", f"if the host's owner confirms the new key, run ssh-keygen -R "
                                    f"'{name}' and publish again") from None
            raise ChapbookError(where, f"unknown host key for {name} ({verdict.fingerprint}; not in "
                                f"{self.known_hosts})", "check the fingerprint with the host's owner, then "
                                "publish with --accept-new-host-key (or ssh to it once)") from None
        except asyncssh.PermissionDenied:
            user = self.destination.user or "your user name"
            raise ChapbookError(where, f"authentication failed: the server accepted none of the keys offered for "
                                f"{user} (SSH agent and ~/.ssh)", "add your public key to the server's "
                                "~/.ssh/authorized_keys, or load the right key with ssh-add") from None
        except (asyncssh.DisconnectError, asyncssh.ChannelOpenError) as error:
            raise ChapbookError(where, f"the server closed the connection ({_reason(error)})",
                                "check the host accepts SFTP for this user") from None
        except OSError as error:  # TimeoutError included
            raise connection_failure(where, error, CONNECT_TIMEOUT, "SSH server") from None
        if verdict.problem == "added":
            self.notes.append(f"{known_hosts_name(host, port)}: host key added to {self.known_hosts} "
                              f"({verdict.fingerprint})")

    def _remote(self, relative: str) -> str:
        return self.destination.file_path(relative)

    def accepts(self, relative: str) -> bool:
        """Whether this destination takes the file (SFTP takes everything)."""
        return True

    def sizes(self, paths: list[str]) -> dict[str, int]:
        """The size of each of `paths` that is a regular file at the destination (one listing per folder)."""
        import asyncssh

        async def listing(folder: str) -> dict[str, int]:
            try:
                names = await self._sftp.readdir(self._remote(folder) if folder else self.destination.path or ".")
            except asyncssh.SFTPNoSuchFile:
                return {}
            return {name.filename: name.attrs.size for name in names
                    if name.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR or
                    (name.attrs.permissions is not None and stat.S_ISREG(name.attrs.permissions))}

        found: dict[str, int] = {}
        for folder in sorted({str(PurePosixPath(path).parent).removeprefix(".") for path in paths}):
            entries = self._run(listing(folder))
            for path in paths:
                parent, name = str(PurePosixPath(path).parent).removeprefix("."), PurePosixPath(path).name
                if parent == folder and name in entries:
                    found[path] = entries[name]
        return found

    def read(self, relative: str) -> bytes | None:
        """The file's bytes at the destination, or None when it is not there."""
        import asyncssh

        async def fetch() -> bytes | None:
            try:
                async with self._sftp.open(self._remote(relative), "rb") as stream:
                    return await stream.read()
            except asyncssh.SFTPNoSuchFile:
                return None

        return self._run(fetch())

    def sha256(self, relative: str) -> str | None:
        """The digest of the file at the destination now, None when it is gone."""
        data = self.read(relative)
        return None if data is None else hashlib.sha256(data).hexdigest()

    def put(self, relative: str, data: bytes, mime: str) -> None:
        """Upload under a temporary name beside the file, then rename it into place."""
        import asyncssh

        async def upload() -> None:
            folder = str(PurePosixPath(self._remote(relative)).parent)
            if folder not in self._made_folders:
                await self._sftp.makedirs(folder, exist_ok=True)
                self._made_folders.add(folder)
            temporary = self._remote(temporary_name(relative))
            attributes = asyncssh.SFTPAttrs(permissions=0o644)
            async with self._sftp.open(temporary, "wb", attributes) as stream:
                await stream.write(data)
            try:
                await self._sftp.posix_rename(temporary, self._remote(relative))
            except asyncssh.SFTPOpUnsupported:
                # Plain SFTP rename refuses to replace a file: a short gap is the best such a server allows.
                with contextlib.suppress(asyncssh.SFTPNoSuchFile):
                    await self._sftp.remove(self._remote(relative))
                await self._sftp.rename(temporary, self._remote(relative))

        self._run(upload())

    def delete(self, relative: str) -> None:
        """Remove one file chapbook published."""
        import asyncssh

        async def remove() -> None:
            with contextlib.suppress(asyncssh.SFTPNoSuchFile):
                await self._sftp.remove(self._remote(relative))

        self._run(remove())

    def load_manifest(self) -> bytes | None:
        return self.read(MANIFEST)

    def save_manifest(self, data: bytes) -> None:
        self.put(MANIFEST, data, "application/json")

    def close(self) -> None:
        """Close the session and the connection, and the private event loop."""
        async def shut() -> None:
            if self._sftp is not None:
                self._sftp.exit()
            if self._connection is not None:
                self._connection.close()
                await self._connection.wait_closed()

        try:
            self._loop.run_until_complete(shut())
        except Exception:  # noqa: BLE001 - closing a connection that is already gone
            pass
        finally:
            self._loop.close()


def _reason(error: BaseException) -> str:
    return str(getattr(error, "reason", "") or error or type(error).__name__)
