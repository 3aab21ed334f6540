"""Failed logins are throttled per login and per client address with delays that grow,
not locked; known and unknown logins get the same answers; and every attempt counts,
parallel ones included."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from mosaico_identity.main import create_app
from mosaico_shared.tenancy.names import database_name

from tests.fixtures.identity import identity_process, identity_settings
from tests.fixtures.tenants import make_tenant_factory, valid_cpf

LOGIN = "/identity/v1/auth/login"
#: Delays long enough that none runs out while a test runs, whatever the machine's load:
#: time is moved on by editing the counters' timestamps instead of waiting.
BASE, CAP = 100, 350
#: How much of a delay may pass between an attempt and the next one's answer.
SLACK = 30


@pytest.fixture(scope="module")
def throttled(postgres) -> Iterator[TestClient]:
    settings = identity_settings(
        postgres, login_throttle_base_delay_seconds=BASE, login_throttle_max_delay_seconds=CAP
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def tenant(postgres, throttled):
    return make_tenant_factory(postgres, throttled)()


def _attempt(client, tenant, login, password="wrong-password", **kwargs):
    body = {"tenant": tenant.slug, "login": login, "password": password}
    return client.post(LOGIN, json=body, **kwargs)


def _tenant_sql(postgres, tenant, statement, *params):
    with psycopg.connect(postgres.dsn(database_name("identity", tenant.slug))) as connection:
        return connection.execute(statement, params).fetchall()


def _move_time_on(postgres, tenant, seconds):
    _tenant_sql(
        postgres,
        tenant,
        "UPDATE login_throttle SET last_failure_at = last_failure_at - make_interval(secs => %s)"
        " RETURNING key",
        seconds,
    )


def _retry_after(response) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["type"].endswith("/too-many-requests")
    return int(response.headers["retry-after"])


def test_after_five_free_failures_each_attempt_waits_twice_as_long_up_to_a_cap(
    throttled, tenant, postgres
):
    login = tenant.admin_cpf
    assert [_attempt(throttled, tenant, login).status_code for _ in range(5)] == [401] * 5
    # Even the right password waits: the delay is the login's, not the guesser's.
    waits = [_retry_after(_attempt(throttled, tenant, login, tenant.admin_password))]
    for _ in range(2):
        _move_time_on(postgres, tenant, waits[-1] + 1)
        assert _attempt(throttled, tenant, login).status_code == 401
        waits.append(_retry_after(_attempt(throttled, tenant, login)))
    for wait, expected in zip(waits, (BASE, 2 * BASE, CAP), strict=True):
        assert expected - SLACK < wait <= expected, waits
    # It is a delay, not a lock: once it has passed, the right password gets in and
    # the login starts over.
    _move_time_on(postgres, tenant, CAP + 1)
    assert _attempt(throttled, tenant, login, tenant.admin_password).status_code == 200
    assert _attempt(throttled, tenant, login).status_code == 401
    assert _tenant_sql(postgres, tenant, "SELECT failures FROM login_throttle") == [(1,)]


def _shape(response) -> tuple:
    varying = {"date", "x-request-id"}
    body = response.json()
    return (
        response.status_code,
        sorted(set(response.headers) - varying),
        sorted(body),
        body.get("detail"),
        len(response.content),
    )


@pytest.mark.parametrize("form", ["cpf", "email"])
def test_known_and_unknown_logins_get_the_same_answers(throttled, tenant, form):
    known = tenant.admin_cpf if form == "cpf" else tenant.admin_email
    unknown = valid_cpf(31337) if form == "cpf" else f"ninguem@{tenant.slug}.com.br"
    answers = {
        login: [_attempt(throttled, tenant, login) for _ in range(7)] for login in (known, unknown)
    }
    assert [_shape(r) for r in answers[known]] == [_shape(r) for r in answers[unknown]]
    assert [r.status_code for r in answers[known]] == [401] * 5 + [429] * 2
    for login in (known, unknown):
        assert BASE - SLACK < _retry_after(answers[login][-1]) <= BASE


@pytest.fixture(scope="module")
def throttled_server(postgres) -> Iterator[str]:
    """A real uvicorn process whose throttle waits long and trusts few failures per
    address; requests name their client address in ``X-Forwarded-For``."""
    env = {
        "MOSAICO_LOGIN_THROTTLE_BASE_DELAY_SECONDS": "600",
        "MOSAICO_ADDRESS_THROTTLE_FREE_FAILURES": "3",
        # Thirty parallel attempts on one login queue for the row that counts them, on
        # a pool of a quarter of the pod's budget: on a loaded machine the last ones
        # wait longer than the default 5 s and get the pool's 503. This file is about
        # counting under concurrency, not about the pool (tests/shared/test_app.py is).
        "MOSAICO_DB_POOL_TIMEOUT_SECONDS": "120",
    }
    with identity_process(postgres, **env) as base:
        yield base


@pytest.fixture
def server_tenant(postgres, throttled_server):
    with httpx.Client(base_url=throttled_server, timeout=60) as client:
        yield make_tenant_factory(postgres, client)()


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


@pytest.mark.slow
def test_parallel_wrong_passwords_each_count_and_none_passes_the_throttle(
    throttled_server, server_tenant, postgres
):
    attempts = 30

    async def guess_all() -> list[int]:
        async with httpx.AsyncClient(base_url=throttled_server, timeout=120) as client:
            body = {"tenant": server_tenant.slug, "login": server_tenant.admin_cpf}

            async def guess(n: int) -> int:
                response = await client.post(
                    LOGIN,
                    json={**body, "password": f"guess-{n}"},
                    headers=_from(f"10.9.{n // 250}.{n % 250}"),
                )
                return response.status_code

            return await asyncio.gather(*(guess(n) for n in range(attempts)))

    statuses = asyncio.run(guess_all())
    assert sorted(statuses) == [401] * 5 + [429] * (attempts - 5), statuses
    counted = _tenant_sql(postgres, server_tenant, "SELECT failures FROM login_throttle")
    assert counted == [(5,)]


@pytest.mark.slow
def test_one_address_trying_many_logins_is_throttled_and_others_are_not(
    throttled_server, server_tenant
):
    with httpx.Client(base_url=throttled_server, timeout=60) as client:

        def attempt(login, address, password="wrong-password"):
            body = {"tenant": server_tenant.slug, "login": login, "password": password}
            return client.post(LOGIN, json=body, headers=_from(address))

        sprayer = "10.77.0.1"
        logins = [f"alvo{n}@{server_tenant.slug}.com.br" for n in range(4)]
        assert [attempt(login, sprayer).status_code for login in logins[:3]] == [401] * 3
        refused = attempt(logins[3], sprayer)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        # Another address is not held back by the first one's failures.
        right = server_tenant.admin_password
        assert attempt(server_tenant.admin_cpf, "10.77.0.2", right).status_code == 200
        assert attempt(logins[3], "10.77.0.2").status_code == 401
