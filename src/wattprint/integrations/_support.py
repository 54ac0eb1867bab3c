"""What every integration needs: the optional import, the version check, the firewall.

:func:`require` imports a framework, or raises
:class:`~wattprint.errors.MissingDependencyError` naming the extra to
install; :func:`require_hooks` says, on import, which hook a too-old
version lacks and which version has it. :class:`Guard` runs integration
code so that a failure is one warning (per hook) and the caller goes on.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import TypeVar

from wattprint._log import logger
from wattprint.errors import MissingDependencyError, WattprintError

T = TypeVar("T")


class FrameworkVersionError(WattprintError, ImportError):
    """An installed framework lacks a hook an integration needs.

    Attributes:
        framework: the framework's distribution name, e.g. ``transformers``.
        found: the version installed.
        needed: the first version with every hook the integration uses.
        missing: the hooks not found.
    """

    def __init__(self, framework: str, found: str, needed: str, missing: tuple[str, ...]) -> None:
        self.framework = framework
        self.found = found
        self.needed = needed
        self.missing = missing
        super().__init__(framework, found, needed, missing)

    def __str__(self) -> str:
        return (
            f"{self.framework} {self.found} lacks {', '.join(self.missing)}, which wattprint's "
            f"integration uses; it needs {self.framework}>={self.needed} "
            f'(pip install "{self.framework}>={self.needed}")'
        )


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` and return it.

    Raises:
        MissingDependencyError: it is not installed (the message names ``extra``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingDependencyError(module, extra) from err


def require_hooks(
    framework: str, found: str, needed: str, owner: object, hooks: Iterable[str]
) -> None:
    """Check that ``owner`` (a base class or module) has every hook in ``hooks``.

    Raises:
        FrameworkVersionError: a hook is missing; names the version that has them all.
    """
    missing = tuple(h for h in hooks if not hasattr(owner, h))
    if missing:
        raise FrameworkVersionError(framework, found, needed, missing)


class Guard:
    """Run integration code so that a failure is one warning and the caller goes on.

    Args:
        name: what to call the integration in the warning, e.g. ``Hugging Face callback``.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._warned: set[str] = set()

    def call(self, hook: str, action: Callable[[], T], default: T) -> T:
        """Return ``action()``, or ``default`` after logging its failure (once per hook)."""
        try:
            return action()
        except Exception as err:  # an integration must never break training
            self.failed(hook, err)
            return default

    def note(self, message: str) -> None:
        """Log ``message`` once, as a warning naming the integration."""
        if message not in self._warned:
            self._warned.add(message)
            logger.warning("wattprint: %s: %s", self.name, message)

    def failed(self, hook: str, err: BaseException) -> None:
        """Log that ``hook`` failed with ``err``: a warning the first time, then DEBUG."""
        reason = str(err) or type(err).__name__
        if hook in self._warned:
            logger.debug("wattprint: %s failed in %s again: %s", self.name, hook, reason)
            return
        self._warned.add(hook)
        logger.warning(
            "wattprint: %s failed in %s (%s); training goes on without it there",
            self.name,
            hook,
            reason,
        )


__all__ = ["FrameworkVersionError", "Guard", "require", "require_hooks"]
