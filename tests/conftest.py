pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.tenants",
    "tests.fixtures.identity",
    "tests.fixtures.kube",
    "tests.fixtures.kube_nodes",
    "tests.fixtures.kube_node",
    "tests.fixtures.nats",
    "tests.fixtures.services",
    "tests.fixtures.mail",
    "tests.fixtures.webhooks",
]
