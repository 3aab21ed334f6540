"""The baseline: a bare FastAPI endpoint with no database, auth or middleware."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
async def ping() -> dict[str, str]:
    return {"status": "ok"}
