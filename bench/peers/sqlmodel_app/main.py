"""The leads list as the FastAPI full-stack template writes its items list.

A sync SQLModel ``Session`` per request (``SessionDep``), the current user read from
an HS256 JWT and then from the database (``CurrentUser``), offset pagination with a
count, and public models for the response; run by uvicorn with one worker. It reads
crm's ``leads`` table (``PEER_DATABASE_URL``); its users sit in their own table.
"""

import os
import uuid
from collections.abc import Generator
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from jwt.exceptions import InvalidTokenError
from pydantic import ValidationError
from sqlalchemy import ARRAY, Column, String
from sqlmodel import Field, Session, SQLModel, col, create_engine, func, select

SECRET_KEY = os.environ["PEER_SECRET_KEY"]
ALGORITHM = "HS256"

engine = create_engine(os.environ["PEER_DATABASE_URL"])


# --- models.py ---------------------------------------------------------------------


class UserBase(SQLModel):
    email: str = Field(unique=True, index=True, max_length=255)
    is_active: bool = True
    is_superuser: bool = False
    full_name: str | None = Field(default=None, max_length=255)


class User(UserBase, table=True):
    __tablename__ = "peer_user"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    hashed_password: str


class LeadBase(SQLModel):
    name: str = Field(max_length=200)
    company: str | None = None
    document: str | None = None
    document_kind: str | None = None
    email: str | None = None
    phone: str | None = None
    source: str | None = None
    estimated_value: Decimal = Field(max_digits=15, decimal_places=2)
    owner_id: uuid.UUID
    created_by: uuid.UUID
    tags: list[str] = Field(sa_column=Column(ARRAY(String(40))))
    notes: str | None = None
    stage_id: uuid.UUID
    status: str
    close_reason: str | None = None
    closed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class Lead(LeadBase, table=True):
    __tablename__ = "leads"

    id: uuid.UUID = Field(primary_key=True)
    deleted_at: datetime | None = None


class LeadPublic(LeadBase):
    id: uuid.UUID


class LeadsPublic(SQLModel):
    data: list[LeadPublic]
    count: int


class TokenPayload(SQLModel):
    sub: str | None = None


# --- api/deps.py -------------------------------------------------------------------

reusable_oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/login/access-token")


def get_db() -> Generator[Session, None, None]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]
TokenDep = Annotated[str, Depends(reusable_oauth2)]


def get_current_user(session: SessionDep, token: TokenDep) -> User:
    try:
        payload = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])
        token_data = TokenPayload(**payload)
    except (InvalidTokenError, ValidationError):
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN, detail="Could not validate credentials"
        ) from None
    user = session.get(User, token_data.sub)
    if not user:
        raise HTTPException(status_code=404, detail="User not found")
    if not user.is_active:
        raise HTTPException(status_code=400, detail="Inactive user")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


# --- api/routes/leads.py -----------------------------------------------------------

router = APIRouter(prefix="/leads", tags=["leads"])


@router.get("/", response_model=LeadsPublic)
def read_leads(
    session: SessionDep, current_user: CurrentUser, skip: int = 0, limit: int = 100
) -> Any:
    """Retrieve leads."""
    live = col(Lead.deleted_at).is_(None)
    count_statement = select(func.count()).select_from(Lead).where(live)
    count = session.exec(count_statement).one()
    statement = (
        select(Lead)
        .where(live)
        .order_by(col(Lead.created_at), col(Lead.id))
        .offset(skip)
        .limit(limit)
    )
    leads = session.exec(statement).all()
    return LeadsPublic(data=leads, count=count)


app = FastAPI(title="leads peer")
app.include_router(router, prefix="/api/v1")


@app.get("/ping")
def ping() -> dict[str, str]:
    return {"status": "ok"}
