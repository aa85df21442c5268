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
import os
import pwd
import stat
from pathlib import Path, PurePosixPath

from pipeline.errors import ChapbookError
from pipeline.publish.destination import Destination, connection_failure
from pipeline.publish.plan import MANIFEST, MAX_MANIFEST_BYTES, NOT_A_FILE, TOO_LARGE

DEFAULT_TIMEOUT = 30
CHUNK = 256 * 1024  # each read and write of this much has its own time limit, so a slow line is not a stall
_AGAIN = "publish again to finish (files already sent are complete)"


def login_name(environ: dict[str, str] | None = None) -> str:
    """The user name to log in as when the address names none: as OpenSSH's `sftp`, the login name of the
    account running chapbook (its password-database entry, so cron and containers without $USER work too)."""
    environ = dict(os.environ) if environ is None else environ
    for variable in ("LOGNAME", "USER"):
        if environ.get(variable):
            return environ[variable]
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        raise ChapbookError("publish", f"no user name to log in as (user id {os.getuid()} has no entry in the "
                            "password database, and LOGNAME and USER are unset)",
                            "name the user in the address: sftp://user@host/path") from None


def known_hosts_name(host: str, port: int) -> str:
    """How OpenSSH names a host in known_hosts."""
    return host if port == 22 else f"[{host}]:{port}"


def temporary_name(relative: str) -> str:
    """The name a file is uploaded under before it is renamed into place (the same each time, so a dropped
    upload's leftover is overwritten by the next publish)."""
    path = PurePosixPath(relative)
    return str(path.with_name(f".{path.name}.chapbook.part"))


def is_temporary_name(name: str) -> bool:
    """Whether a file name is one temporary_name gives (a leftover when no publish is running)."""
    return name.startswith(".") and name.endswith(".chapbook.part") and len(name) > len("..chapbook.part")


class _HostKeyVerdict:
    """What was wrong with the host key, recorded by the check so the error can say it."""

    def __init__(self) -> None:
        self.problem = ""
        self.fingerprint = ""


def _client_factory(known_hosts: Path, accept_new: bool, verdict: _HostKeyVerdict, dry_run: bool = False):
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
            if dry_run:  # a dry run writes nothing anywhere, known_hosts included
                verdict.problem = "seen"
                return True
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
                 client_keys: list[Path] | None = None, notes: list[str] | None = None,
                 timeout: float = DEFAULT_TIMEOUT, dry_run: bool = False) -> None:
        self.destination = destination
        self.dry_run = dry_run
        self.leftovers: list[str] = []  # temporary files a dropped or stopped publish left, found while listing
        self.timeout = timeout
        self.known_hosts = known_hosts
        self.accept_new = accept_new_host_key
        self.client_keys = client_keys
        self.notes = notes if notes is not None else []
        self._loop = asyncio.new_event_loop()
        # A step abandoned after a stall leaves asyncssh's own tasks failing with "connection lost" once the
        # connection is dropped; asyncio would print each as a traceback when it is collected.
        self._loop.set_exception_handler(lambda _loop, _context: None)
        self._connection = None
        self._sftp = None
        self._made_folders: set[str] = set()
        self._stalled = None
        try:
            self._run(self._connect(), "connecting and logging in", self.destination.named_by)
        except BaseException:
            self.close()
            raise

    def _run(self, coroutine, doing: str, named_by: str = ""):
        """Run one step; `doing` names it in the error when the host does not answer in time (and `named_by`,
        while connecting, where the address came from)."""
        import asyncssh

        step = self._loop.create_task(coroutine)
        self._stalled = self._loop.create_future()
        try:
            # The step ends, or one of its requests stalls: then the step is abandoned where it stands, as its
            # own clean-up (closing a file handle) would wait for the same stalled host.
            self._loop.run_until_complete(asyncio.wait({step, self._stalled}, return_when=asyncio.FIRST_COMPLETED))
            if not step.done():
                step.cancel()
                self._abandon()
                raise TimeoutError
            return step.result()
        except TimeoutError:
            origin = f" ({named_by})" if named_by else ""
            raise ChapbookError(str(self.destination), f"the host did not answer within {self.timeout:g} s while "
                                f"{doing}{origin}", f"{_AGAIN}; publish_timeout in chapbook.toml sets the limit"
                                ) from None
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
        options = {"username": self.destination.user or login_name(), "connect_timeout": self.timeout,
                   "known_hosts": lambda h, a, p: (_recorded_keys(self.known_hosts, h, a, p), [], []),
                   "client_factory": _client_factory(self.known_hosts, self.accept_new, verdict, self.dry_run),
                   "preferred_auth": "publickey", "password": None, "kbdint_auth": False}
        if self.client_keys is not None:
            options |= {"client_keys": [str(key) for key in self.client_keys], "agent_path": None}
        where, origin = str(self.destination), f" ({self.destination.named_by})"
        try:
            # The connection, the key exchange and the login under one limit; the SFTP session under another.
            self._connection = await self._within(asyncssh.connect(host, port, **options))
            self._sftp = await self._within(self._connection.start_sftp_client())
        except asyncssh.HostKeyNotVerifiable as error:
            name = known_hosts_name(host, port)
            if not verdict.problem:  # refused before our check: a revoked key, an untrusted certificate
                raise ChapbookError(where, f"the host key of {name}{origin} was refused ({_reason(error)})",
                                    f"check the entries for {name} in {self.known_hosts}") from None
            if verdict.problem == "changed":
                raise ChapbookError(where, f"the host key of {name}{origin} has CHANGED ({verdict.fingerprint} is "
                                    f"not the key recorded in {self.known_hosts}); someone may be intercepting the "
                                    "connection", f"if the host's owner confirms the new key, run ssh-keygen -R "
                                    f"'{name}' and publish again") from None
            raise ChapbookError(where, f"unknown host key for {name}{origin} ({verdict.fingerprint}; not in "
                                f"{self.known_hosts})", "check the fingerprint with the host's owner, then "
                                "publish with --accept-new-host-key (or ssh to it once)") from None
        except asyncssh.PermissionDenied:
            raise ChapbookError(where, f"authentication failed for {options['username']} at {host}{origin}: the "
                                "server accepted none of the keys offered (SSH agent and ~/.ssh)",
                                "add your public key to the server's ~/.ssh/authorized_keys, or load the right key "
                                "with ssh-add") from None
        except (asyncssh.DisconnectError, asyncssh.ChannelOpenError) as error:
            raise ChapbookError(where, f"{host}{origin} closed the connection ({_reason(error)})",
                                "check the host accepts SFTP for this user") from None
        except TimeoutError:
            raise  # said by _run, with what was being done
        except OSError as error:
            raise connection_failure(where, error, self.timeout, "SSH server", host, port,
                                     self.destination.named_by) from None
        if verdict.problem == "seen":
            self.notes.append(f"{known_hosts_name(host, port)}: new host key {verdict.fingerprint}, not added to "
                              f"{self.known_hosts} (a dry run writes nothing)")
        if verdict.problem == "added":
            self.notes.append(f"{known_hosts_name(host, port)}: host key added to {self.known_hosts} "
                              f"({verdict.fingerprint})")

    async def _within(self, awaitable):
        """One SFTP request, given up after the time limit (a stalled host otherwise hangs publish forever)."""
        request = asyncio.ensure_future(awaitable)
        done, _ = await asyncio.wait({request}, timeout=self.timeout)
        if not done:
            request.cancel()
            if not self._stalled.done():
                self._stalled.set_result(True)  # tells _run to abandon the whole step
            raise TimeoutError
        return request.result()

    def _abandon(self) -> None:
        """Drop the connection at once: a stalled host is never waited for again, not even to say goodbye."""
        if self._connection is not None:
            self._connection.abort()
        self._connection, self._sftp = None, None

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
                names = await self._within(self._sftp.readdir(self._remote(folder) if folder else
                                                              self.destination.path or "."))
            except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNotADirectory):
                return {}
            self.leftovers.extend(f"{folder}/{name.filename}".lstrip("/") for name in names
                                  if is_temporary_name(name.filename) and _is_regular(name.attrs))
            return {name.filename: name.attrs.size for name in names
                    if _is_regular(name.attrs) and isinstance(name.attrs.size, int)}

        found: dict[str, int] = {}
        for folder in sorted({str(PurePosixPath(path).parent).removeprefix(".") for path in paths}):
            entries = self._run(listing(folder), f"listing {folder or 'the destination folder'}")
            for path in paths:
                parent, name = str(PurePosixPath(path).parent).removeprefix("."), PurePosixPath(path).name
                if parent == folder and name in entries:
                    found[path] = entries[name]
        return found

    def read(self, relative: str, limit: int) -> bytes | str | None:
        """The file's bytes at the destination (at most `limit`), None when it is not there, NOT_A_FILE when
        it is not a regular file (a link, a FIFO, a device: never opened) and TOO_LARGE past `limit`."""
        import asyncssh

        async def fetch() -> bytes | str | None:
            remote = self._remote(relative)
            try:
                # lstat, not stat: a link is not followed (to /dev/zero, to a FIFO, out of the folder).
                if not _is_regular(await self._within(self._sftp.lstat(remote))):
                    return NOT_A_FILE
                async with await self._within(self._sftp.open(remote, "rb")) as stream:
                    data = bytearray()
                    while len(data) <= limit:
                        chunk = await self._within(stream.read(min(CHUNK, limit + 1 - len(data)), len(data)))
                        if not chunk:
                            break
                        data += chunk
            except asyncssh.SFTPNoSuchFile:
                return None
            return TOO_LARGE if len(data) > limit else bytes(data)

        return self._run(fetch(), f"reading {relative}")

    def sha256(self, relative: str, limit: int) -> str | None:
        """The digest of the file at the destination now (None: gone; NOT_A_FILE, TOO_LARGE: changed, as chapbook
        published a regular file of at most `limit` bytes)."""
        data = self.read(relative, limit)
        return data if data is None or isinstance(data, str) else hashlib.sha256(data).hexdigest()

    def put(self, relative: str, data: bytes, mime: str) -> None:
        """Upload under a temporary name beside the file, then rename it into place (only over a regular file)."""
        import asyncssh

        async def upload() -> None:
            folder = str(PurePosixPath(self._remote(relative)).parent)
            if folder not in self._made_folders:
                await self._within(self._sftp.makedirs(folder, exist_ok=True))
                self._made_folders.add(folder)
            with contextlib.suppress(asyncssh.SFTPNoSuchFile):
                if not _is_regular(await self._within(self._sftp.lstat(self._remote(relative)))):
                    raise ChapbookError(str(self.destination), f"{relative} is a link, a folder or a special file "
                                        "there, not a file chapbook replaces", "move it away and publish again")
            temporary = self._remote(temporary_name(relative))
            attributes = asyncssh.SFTPAttrs(permissions=0o644)
            async with await self._within(self._sftp.open(temporary, "wb", attributes)) as stream:
                for start in range(0, len(data), CHUNK):
                    await self._within(stream.write(data[start:start + CHUNK], start))
            try:
                await self._within(self._sftp.posix_rename(temporary, self._remote(relative)))
            except asyncssh.SFTPOpUnsupported:
                # Plain SFTP rename refuses to replace a file: a short gap is the best such a server allows.
                with contextlib.suppress(asyncssh.SFTPNoSuchFile):
                    await self._within(self._sftp.remove(self._remote(relative)))
                await self._within(self._sftp.rename(temporary, self._remote(relative)))

        self._run(upload(), f"sending {relative}")

    def remove_leftovers(self) -> list[str]:
        """Remove the temporary files an interrupted publish left beside the files listed (never in a dry run);
        the paths removed."""
        removed, self.leftovers = self.leftovers, []
        for relative in removed:
            self.delete(relative)
        return removed

    def delete(self, relative: str) -> None:
        """Remove one file chapbook published."""
        import asyncssh

        async def remove() -> None:
            with contextlib.suppress(asyncssh.SFTPNoSuchFile):
                await self._within(self._sftp.remove(self._remote(relative)))

        self._run(remove(), f"deleting {relative}")

    def load_manifest(self) -> bytes | None:
        """The manifest's bytes, or None when there is none that is a regular file of a sane size."""
        data = self.read(MANIFEST, MAX_MANIFEST_BYTES)
        return data if isinstance(data, bytes) else None

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
            self._loop.run_until_complete(asyncio.wait_for(shut(), self.timeout))
        except Exception:  # noqa: BLE001 - closing a connection that is already gone, or a host that stalls
            self._abandon()
        finally:
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()  # steps abandoned after a stall, ended before the loop is
            if pending:
                self._loop.run_until_complete(asyncio.wait(pending, timeout=1))
            self._loop.close()


def _is_regular(attrs) -> bool:
    """Whether SFTP attributes describe a regular file (by the v4+ type, else the POSIX permission bits)."""
    import asyncssh

    if attrs.type == asyncssh.FILEXFER_TYPE_REGULAR:
        return True
    return attrs.type in (None, asyncssh.FILEXFER_TYPE_UNKNOWN) and attrs.permissions is not None and \
        stat.S_ISREG(attrs.permissions)


def _reason(error: BaseException) -> str:
    return str(getattr(error, "reason", "") or error or type(error).__name__)
