"""The AgentScope memory tutorial's FastAPI pattern: a pooled engine, a session per request.

Run it with ``uvicorn examples.fastapi_sqlalchemy:app``. The database URL comes from
``MEMMARK_DATABASE_URL`` (default: a SQLite file). The agent is replaced by an echo so the
example runs without a model: each turn stores the user's message and the reply.
"""

import os
from collections.abc import AsyncGenerator

from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from memmark.memory import AsyncSQLAlchemyMemory
from memmark.message import Msg

app = FastAPI()

# Create an async SQLAlchemy engine with connection pooling
engine = create_async_engine(
    os.environ.get("MEMMARK_DATABASE_URL", "sqlite+aiosqlite:///./test_memory.db"),
    pool_size=10,
    max_overflow=20,
    pool_timeout=30,
)

# Create a session maker
async_session_marker = async_sessionmaker(
    engine,
    expire_on_commit=False,
    autocommit=False,
    autoflush=False,
)


async def get_db() -> AsyncGenerator[AsyncSession, None]:
    async with async_session_marker() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise
        finally:
            await session.close()


@app.post("/chat")
async def chat_endpoint(
    user_id: str,
    session_id: str,
    input: str,
    db_session: AsyncSession = Depends(get_db),  # noqa: B008 - FastAPI dependency
) -> dict[str, list[str]]:
    # The memory works inside the request's transaction; get_db commits it
    memory = AsyncSQLAlchemyMemory(
        engine_or_session=db_session,
        user_id=user_id,
        session_id=session_id,
    )
    await memory.add(Msg("user", input, "user"))
    await memory.add(Msg("assistant", f"echo: {input}", "assistant"), marks="reply")
    history = await memory.get_memory()
    return {"history": [str(msg.content) for msg in history]}


@app.get("/replies")
async def replies_endpoint(
    user_id: str,
    session_id: str,
    db_session: AsyncSession = Depends(get_db),  # noqa: B008 - FastAPI dependency
) -> dict[str, list[str]]:
    memory = AsyncSQLAlchemyMemory(
        engine_or_session=db_session,
        user_id=user_id,
        session_id=session_id,
    )
    return {"replies": [str(msg.content) for msg in await memory.get_memory(mark="reply")]}
