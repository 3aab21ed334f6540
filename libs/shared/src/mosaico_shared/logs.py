"""JSON logs that carry module, tenant and request id from context variables."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
tenant_var: ContextVar[str | None] = ContextVar("tenant", default=None)


class _ContextFilter(logging.Filter):
    def __init__(self, module: str) -> None:
        super().__init__()
        self.module = module

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.module
        record.tenant = tenant_var.get()
        record.request_id = request_id_var.get()
        return True


def configure_logging(module: str, *, level: str = "INFO", json: bool = True) -> None:
    """Send every log record to stdout, as one JSON object per line when ``json``."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_ContextFilter(module))
    if json:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s"
                " %(service)s %(tenant)s %(request_id)s",
                rename_fields={"levelname": "level", "asctime": "time", "service": "module"},
                timestamp=False,
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s [%(service)s %(tenant)s %(request_id)s] %(message)s"
            )
        )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # Our access-log middleware replaces uvicorn's: one line per request with tenant and id.
    logging.getLogger("uvicorn.access").disabled = True
