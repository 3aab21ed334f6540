"""Tables of identity: the platform database and each tenant's database."""
