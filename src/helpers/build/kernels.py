"""Kernels forked from a warm template: a kernel process that has already imported
pandas, matplotlib and seaborn forks one ready kernel per notebook, so a notebook
does not pay a kernel start and those imports (the executors use it; a kernel
that cannot be forked starts the usual way)."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from helpers.build.lifeline import die_with

KERNEL_PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.debugger",  # every kernel imports it as it starts (0.1 s)
    "numpy",
    "pandas",
    "scipy.optimize",
    "matplotlib.figure",
    "matplotlib.ticker",
    "IPython.display",
    "helpers.load.artifacts",
    "helpers.load.inputs",
    "helpers.model.business_case",
    "helpers.model.calibration",
    "helpers.model.selection",
    "helpers.charts.case",
    "helpers.charts.calibration",
    "helpers.charts.roadmap",
)
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # what ipykernel sets


_KERNEL_TEMPLATE: _TemplateClient | None = None  # this process's connection, if any


def template_client() -> _TemplateClient | None:
    """This process's connection to a kernel template (None: kernels start the usual way)."""
    return _KERNEL_TEMPLATE


def connect_kernel_template(address: str) -> None:
    """Fork this process's kernels from the kernel template at ``address``.

    For executors' worker processes (a distributed engine's worker on the same
    machine can call it at start-up too). If the template cannot be reached or
    stops answering, kernels start the usual way.
    """
    global _KERNEL_TEMPLATE
    _KERNEL_TEMPLATE = _TemplateClient(address)


class KernelTemplate:
    """A process that has imported the kernels' modules and forks a kernel on request.

    It listens on a Unix socket (:attr:`address`) in a private folder. A request
    (SOCK_SEQPACKET) carries the kernel's arguments, working folder and
    environment as JSON and its stdin/stdout/stderr as file descriptors; the
    reply is the kernel's process id. The template imports ``preload`` while
    the first requests wait, and exits when :meth:`stop` is called or the
    process that started it exits.
    """

    def __init__(self, preload: Iterable[str] = KERNEL_PRELOAD):
        self.folder = tempfile.mkdtemp(prefix="playbook-kernels-")
        self.address = os.path.join(self.folder, "template.sock")
        ours, theirs = socket.socketpair()  # the lifeline: EOF when we are gone
        code = "import sys, helpers.build.kernels as k; k.template_main(*sys.argv[1:])"
        self.process = subprocess.Popen(
            # -P: no working folder on sys.path (ipykernel_launcher removes it too)
            [sys.executable, "-P", "-c", code, str(theirs.fileno()), self.address, *preload],
            pass_fds=[theirs.fileno()],
            # kernels get the worker's stdout/stderr with each request; the template itself
            # must not write on ``playbook run``'s (``--json`` prints one document there)
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C on the terminal reaches the build, not here
        )
        theirs.close()
        self.lifeline = ours

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the template (kernels it forked run on, each in its own session). Idempotent."""
        self.lifeline.close()
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        shutil.rmtree(self.folder, ignore_errors=True)


class _TemplateClient:
    """One process's connection to a :class:`KernelTemplate`."""

    def __init__(self, address: str):
        self.address = address
        self.socket: socket.socket | None = None
        self.failed = False
        self.lock = threading.Lock()

    def alive(self) -> bool:
        return not self.failed

    def fork(self, args: list[str], cwd: str, env: dict[str, str], timeout: float) -> int:
        """Fork a kernel running ``ipykernel_launcher args``; return its process id."""
        request = json.dumps({"args": args, "cwd": cwd, "env": env}).encode()
        with self.lock, open(os.devnull, "rb") as stdin:
            try:
                if self.socket is None:
                    self.socket = self._connect(min(timeout, 10.0))
                self.socket.settimeout(timeout)
                socket.send_fds(self.socket, [request], [stdin.fileno(), 1, 2])
                reply = self.socket.recv(4096)
                if not reply:
                    raise RuntimeError("the kernel template exited")
                return int(json.loads(reply)["pid"])
            except BaseException:
                # a late reply would answer the next request: stop asking this template
                self.failed = True
                if self.socket is not None:
                    self.socket.close()
                raise

    def _connect(self, timeout: float) -> socket.socket:
        """Connect, waiting up to ``timeout`` seconds for a template still starting."""
        deadline = time.monotonic() + timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                sock.connect(self.address)
                return sock
            except FileNotFoundError:  # not listening yet (a refused connection: it is gone)
                sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
            except BaseException:
                sock.close()
                raise


def template_main(lifeline_fd: str, address: str, *preload: str) -> None:
    """The kernel template: listen, import ``preload`` once, then fork one kernel per request."""
    import selectors

    die_with(os.getppid())  # the build, even while the imports below take seconds
    lifeline = socket.socket(fileno=int(lifeline_fd))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(address)  # before importing: workers may connect and wait meanwhile
    listener.listen(64)
    if not os.environ.get("MPLBACKEND"):  # as ipykernel does, before matplotlib reads it
        os.environ["MPLBACKEND"] = INLINE_BACKEND
    # pandas picks its display defaults on import by asking IPython whether it runs
    # in a kernel (display.max_columns: 20 in a kernel, 0 in a terminal)
    with _as_if_in_a_kernel(), contextlib.suppress(Exception):
        importlib.import_module("pandas")
    for name in preload:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped as they exit
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    selector = selectors.DefaultSelector()
    selector.register(lifeline, selectors.EVENT_READ)
    selector.register(listener, selectors.EVENT_READ)
    clients: list[socket.socket] = []
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            if sock is lifeline:  # whoever started the template is gone or stopped it
                shutil.rmtree(os.path.dirname(address), ignore_errors=True)
                os._exit(0)  # at once: unloading pandas, scipy and matplotlib takes seconds
            if sock is listener:
                client, _ = listener.accept()
                clients.append(client)
                selector.register(client, selectors.EVENT_READ)
                continue
            try:
                message, fds, _, _ = socket.recv_fds(sock, 1 << 20, 3)
            except OSError:
                message, fds = b"", []
            if not message:
                selector.unregister(sock)
                clients.remove(sock)
                sock.close()
                continue
            pid = os.fork()
            if pid == 0:  # never returns
                _kernel_child([lifeline, listener, *clients], json.loads(message), fds)
            for descriptor in fds:
                os.close(descriptor)
            try:
                sock.send(json.dumps({"pid": pid}).encode())
            except OSError:  # nobody waits for this kernel any more
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def _as_if_in_a_kernel() -> Iterator[None]:
    """Make ``get_ipython()`` answer like a kernel's shell, for code that asks on import."""
    import builtins

    class _Shell:
        kernel = True  # what pandas and others look for

    builtins.get_ipython = lambda: _Shell()  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del builtins.get_ipython  # type: ignore[attr-defined]


def _kernel_child(sockets: list[socket.socket], request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become the kernel process ipykernel_launcher would have started."""
    code = 1
    try:
        for sock in sockets:
            sock.close()
        os.setsid()  # its own process group, as jupyter_client starts kernels
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, descriptor in enumerate(fds):
            os.dup2(descriptor, target)
            os.close(descriptor)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # the worker it serves: ipykernel watches its parent, the template, which lives on
        die_with(int(os.environ.get("JPY_PARENT_PID") or 0))
        if "numpy" in sys.modules:  # a fresh process seeds numpy's global generator anew
            sys.modules["numpy"].random.seed()
        sys.argv = [sys.executable, *request["args"]]
        # ipykernel reads these when imported, which here was before they were set
        for trait, variable in (
            ("parent_handle", "JPY_PARENT_PID"),
            ("interrupt", "JPY_INTERRUPT_EVENT"),
        ):
            if os.environ.get(variable):
                sys.argv.append(f"--IPKernelApp.{trait}={int(os.environ[variable])}")
        if sys.path and sys.path[0] in ("", os.getcwd()):
            del sys.path[0]  # as ipykernel_launcher does; the shell adds it back
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        # atexit hooks do not run: the build stops its kernels with SIGKILL anyway
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)  # a forked child must not return into the template's loop


class KernelStartError(RuntimeError):
    """A kernel died, or did not answer, as it started: before any cell ran. Starting
    another usually works (jupyter_client picks free ports, and another process can take
    one before the kernel binds it: "Address already in use" in the notebook's log)."""


WARM_PROVISIONER = "playbook-warm"  # its entry point in pyproject.toml
_WARM_STARTS = 0  # kernels this process forked from the template


def warm_starts() -> int:
    """How many kernels this process has started forked from the kernel template."""
    return _WARM_STARTS


def fork_kernel(args: list[str], cwd: str, env: dict[str, str], timeout: float) -> int | None:
    """Fork an ipykernel kernel from this process's template; its pid, or None (start usually)."""
    global _WARM_STARTS
    template = _KERNEL_TEMPLATE
    if template is None or not template.alive():
        return None
    try:
        pid = template.fork(args, cwd, env, timeout)
    except (OSError, RuntimeError, ValueError):  # the template is gone
        return None
    _WARM_STARTS += 1
    return pid


_MANAGER_BASE: Any = None


def kernel_manager_class(env: dict[str, str] | None = None) -> Any:
    """A jupyter_client kernel manager class for one notebook run.

    ``env``: variables the kernel gets on top of this process's environment
    (passed to the kernel as it starts; ``os.environ`` is never changed). Where
    this process has a kernel template (:func:`connect_kernel_template`), an
    ipykernel kernel is started by the ``playbook-warm`` kernel provisioner
    (:class:`WarmKernelProvisioner`, registered under jupyter_client's
    ``jupyter_client.kernel_provisioners`` entry point), which forks it from the
    template; otherwise, or if the provisioner is not installed, it starts the
    usual way.
    """
    base = _manager_base()
    return type("PlaybookKernelManager", (base,), {"task_env": dict(env or {})})


def _manager_base() -> Any:
    """The kernel manager base class, built on first use (jupyter_client is heavy to import)."""
    global _MANAGER_BASE
    if _MANAGER_BASE is not None:
        return _MANAGER_BASE
    from queue import Empty

    from jupyter_client import protocol_version_info
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning import KernelProvisionerFactory
    from traitlets import Type

    class WarmSpecManager(KernelSpecManager):
        """Kernel specs as installed, naming the warm provisioner while a template serves."""

        def get_kernel_spec(self, kernel_name: str) -> Any:
            spec = super().get_kernel_spec(kernel_name)
            template = _KERNEL_TEMPLATE
            if template is None or not template.alive() or spec.language != "python":
                return spec
            if "kernel_provisioner" in spec.metadata:  # the kernel names its own
                return spec
            warm = type(spec)(**spec.to_dict(), resource_dir=spec.resource_dir)
            warm.metadata = {
                **spec.metadata,
                "kernel_provisioner": {"provisioner_name": WARM_PROVISIONER},
            }
            factory = KernelProvisionerFactory.instance()
            return warm if factory.is_provisioner_available(warm) else spec

    class ReadyClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            # jupyter_client's own version ends by waiting until IOPub has been quiet
            # for 0.2 s, at every kernel start. nbclient reads only the messages that
            # answer its own requests, so what is queued is dropped without that wait.
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    reply = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    reply = None
                if reply is not None and reply["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected once it has said something (its status)
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        _adapt_protocol(self.session, reply)
                        break
                if not await self.is_alive():
                    raise KernelStartError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise KernelStartError(f"Kernel didn't respond in {timeout:g} seconds")
            while True:
                try:
                    await self.iopub_channel.get_msg(timeout=0)
                except Empty:
                    break

    def _adapt_protocol(session: Any, reply: dict[str, Any]) -> None:
        """What jupyter_client does with a kernel_info reply: speak the kernel's protocol."""
        major = int(reply["content"]["protocol_version"].split(".")[0])
        if major != protocol_version_info[0]:
            session.adapt_version = major

    class PlaybookKernelManager(AsyncKernelManager):
        client_factory = Type(ReadyClient, klass=AsyncKernelClient)
        task_env: dict[str, str] = {}

        def __init__(self, **kwargs: Any):
            kwargs.setdefault("kernel_spec_manager", WarmSpecManager())
            super().__init__(**kwargs)

        async def start_kernel(self, **kw: Any) -> None:
            if self.task_env:
                kw["env"] = {**(kw.get("env") or os.environ), **self.task_env}
            await super().start_kernel(**kw)

    _MANAGER_BASE = PlaybookKernelManager
    return _MANAGER_BASE
