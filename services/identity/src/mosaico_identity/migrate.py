"""``python -m mosaico_identity.migrate``: migrate the platform and every tenant database."""

from __future__ import annotations

import sys

from mosaico_shared.migrations import migrate_all_command, upgrade_database
from mosaico_shared.tenancy.engines import TenantDatabases

from mosaico_identity.main import PLATFORM_MIGRATIONS, TENANT_MIGRATIONS
from mosaico_identity.settings import IdentitySettings

if __name__ == "__main__":
    settings = IdentitySettings()
    platform_url = TenantDatabases(settings.database_url, "identity").url_for(
        settings.platform_database
    )
    upgrade_database(PLATFORM_MIGRATIONS, platform_url)
    sys.exit(migrate_all_command("identity", TENANT_MIGRATIONS, settings.database_url))
