pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.tenants",
    "tests.fixtures.identity",
    "tests.fixtures.kube",
]
