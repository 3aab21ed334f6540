"""Internal callers on one machine: a generated token for each caller and each service
it calls, kept in the state folder (owner-only). A service is given only the SHA-256 of
the tokens meant for it, never a token it could present elsewhere."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mosaico_shared.auth import token_digest

OPERATOR = "operator"


@dataclass(frozen=True)
class LocalCallers:
    """``root/<caller>/<service>`` holds ``caller``'s token for ``service``."""

    root: Path
    modules: tuple[str, ...]

    @classmethod
    def ensure(cls, root: Path, modules: Sequence[str]) -> LocalCallers:
        """Generate the tokens that are missing: the operator calls every module, every
        other module calls identity (tenant status)."""
        callers = cls(root, tuple(modules))
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        root.chmod(0o700)
        for caller, service in callers.pairs():
            path = callers.token_file(caller, service)
            if not path.exists():
                path.parent.mkdir(exist_ok=True, mode=0o700)
                path.touch(mode=0o600)
                path.write_text(secrets.token_urlsafe(32))
        return callers

    def pairs(self) -> list[tuple[str, str]]:
        """(caller, service) for every internal call the platform makes."""
        pairs = [(OPERATOR, module) for module in self.modules]
        return pairs + [(m, "identity") for m in self.modules if m != "identity"]

    def token_file(self, caller: str, service: str) -> Path:
        return self.root / caller / service

    def tokens_dir(self, caller: str) -> Path:
        """``caller``'s credentials folder (``MOSAICO_CALLER_TOKENS_DIR``)."""
        return self.root / caller

    def digests_for(self, service: str) -> dict[str, str]:
        """caller -> digest of its token for ``service``: what ``service`` keeps."""
        return {
            caller: token_digest(self.token_file(caller, target).read_text())
            for caller, target in self.pairs()
            if target == service
        }

    def env_for(self, module: str) -> dict[str, str]:
        """The ``MOSAICO_*`` caller settings of ``module``'s process."""
        env = {
            "MOSAICO_INTERNAL_AUTH": "digests",
            "MOSAICO_INTERNAL_CALLER_DIGESTS": json.dumps(self.digests_for(module)),
        }
        if module != "identity":
            env["MOSAICO_CALLER_TOKENS_DIR"] = str(self.tokens_dir(module))
        return env
