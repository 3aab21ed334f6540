"""``python -m mosaico_identity.migrate``: migrate the platform and every tenant database."""

from __future__ import annotations

import sys

from mosaico_shared.migrations import migrate_all_command, upgrade_database
from mosaico_shared.tenancy.engines import TenantDatabases

from mosaico_identity.main import PLATFORM_MIGRATIONS, TENANT_MIGRATIONS
from mosaico_identity.settings import IdentitySettings

if __name__ == "__main__":
    settings = IdentitySettings()
    server_url = settings.database_url.get_secret_value()
    platform_url = TenantDatabases(server_url, "identity").url_for(settings.platform_database)
    upgrade_database(PLATFORM_MIGRATIONS, platform_url)
    sys.exit(migrate_all_command("identity", TENANT_MIGRATIONS, server_url))
