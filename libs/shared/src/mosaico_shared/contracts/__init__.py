"""Bodies that services and the operator exchange; the one place both sides import."""
