"""What every Mosaico service shares: settings, the app factory, auth, tenant databases,
Brazilian validators and money, the inter-service HTTP client and migrations."""
