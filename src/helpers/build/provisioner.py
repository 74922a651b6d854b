"""The ``playbook-warm`` kernel provisioner: ipykernel kernels forked from a warm template.

Registered under jupyter_client's ``jupyter_client.kernel_provisioners`` entry
point (pyproject.toml); :func:`helpers.build.kernels.kernel_manager_class` names
it in the kernel spec while this process has a kernel template. Everything
here is jupyter_client's public provisioner interface.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from helpers.build import kernels


class WarmKernelProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, forking ipykernel kernels from the kernel template.

    Registered as the ``playbook-warm`` kernel provisioner. A kernel that cannot
    be forked (no template in this process, another command, its output
    redirected) starts as :class:`~jupyter_client.provisioning.LocalProvisioner`
    starts it. A forked kernel is the template's child, not ours: it is
    watched and signalled by its process id (its own process group).
    """

    forked: int | None = None  # the forked kernel's process id

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        forkable = cmd[:3] == [sys.executable, "-m", "ipykernel_launcher"] and not any(
            kwargs.get(k) is not None for k in ("stdin", "stdout", "stderr")
        )
        if not forkable:
            return await super().launch_kernel(cmd, **kwargs)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        env = {str(k): str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it
        timeout = getattr(self.parent, "startup_timeout", None) or 60
        pid = kernels.fork_kernel(cmd[3:], cwd, env, timeout)
        if pid is None:  # no template in this process, or it is gone: start usually
            return await super().launch_kernel(cmd, **kwargs)
        self.forked = self.pid = self.pgid = pid
        self.cwd = cwd
        return self.connection_info

    @property
    def has_process(self) -> bool:
        return self.forked is not None or super().has_process

    async def poll(self) -> int | None:
        if self.forked is None:
            return await super().poll()
        try:
            os.kill(self.forked, 0)
        except ProcessLookupError:
            return 0  # the template reaped it: its exit status is not ours to know
        except PermissionError:
            pass
        return None

    async def wait(self) -> int | None:
        if self.forked is None:
            return await super().wait()
        while await self.poll() is None:
            await asyncio.sleep(0.01)
        self.forked = None
        return 0

    async def send_signal(self, signum: int) -> None:
        if self.forked is None:
            return await super().send_signal(signum)
        for kill in (os.killpg, os.kill):  # its process group first, as jupyter_client does
            try:
                kill(self.forked, signum)
                return
            except ProcessLookupError:
                return
            except OSError:
                continue

    async def kill(self, restart: bool = False) -> None:
        if self.forked is None:
            return await super().kill(restart=restart)
        await self.send_signal(signal.SIGKILL)
        # wait here, checking often (one os.kill), so the manager finds it gone at once
        deadline = time.monotonic() + 1.0
        while await self.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.005)

    async def terminate(self, restart: bool = False) -> None:
        if self.forked is None:
            return await super().terminate(restart=restart)
        await self.send_signal(signal.SIGTERM)
