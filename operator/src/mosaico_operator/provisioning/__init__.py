"""Provisioning a tenant: databases, identity, module onboarding. Needs no Kubernetes."""
