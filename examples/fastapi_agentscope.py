"""The AgentScope tutorial's FastAPI pattern with a real ReActAgent, on memmark's memories.

Each request builds a ``ReActAgent`` whose memory is memmark's, bound to the request's user and
session: ``AsyncSQLAlchemyMemory`` on the request's ``AsyncSession`` (PostgreSQL, or any
SQLAlchemy async URL), or ``RedisMemory`` on the app's shared ``ConnectionPool``. The only
change from an AgentScope app is the memory import. The model is a local echo so the example
runs without an LLM; put your ``ChatModelBase`` there.

    MEMMARK_BACKEND=sql MEMMARK_DATABASE_URL=postgresql+asyncpg://... uvicorn examples.fastapi_agentscope:app
    MEMMARK_BACKEND=redis REDIS_URL=redis://localhost:6379/0 uvicorn examples.fastapi_agentscope:app
"""

import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from agentscope.agent import ReActAgent
from agentscope.formatter import OpenAIChatFormatter
from agentscope.message import Msg, TextBlock
from agentscope.model import ChatModelBase, ChatResponse
from fastapi import Depends, FastAPI, Request
from redis.asyncio import ConnectionPool
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from memmark.integrations.agentscope import AsyncSQLAlchemyMemory, RedisMemory

BACKEND = os.environ.get("MEMMARK_BACKEND", "sql")
KEY_PREFIX = os.environ.get("MEMMARK_KEY_PREFIX", "memmark")


class EchoModel(ChatModelBase):
    """Answers with the last thing the user said (stands in for a real chat model)."""

    def __init__(self) -> None:
        super().__init__("echo", stream=False)

    async def __call__(self, messages: list[dict[str, Any]], **kwargs: Any) -> ChatResponse:
        said = [m for m in messages if m["role"] == "user"][-1]["content"]
        text = said if isinstance(said, str) else said[-1]["text"]
        return ChatResponse(content=[TextBlock(type="text", text=f"echo: {text}")])


@asynccontextmanager
async def lifespan(app: FastAPI):
    if BACKEND == "redis":
        app.state.redis_pool = ConnectionPool.from_url(
            os.environ.get("REDIS_URL", "redis://localhost:6379/0"), decode_responses=True
        )
        yield
        await app.state.redis_pool.disconnect()
    else:
        engine = create_async_engine(
            os.environ.get("MEMMARK_DATABASE_URL", "sqlite+aiosqlite:///./agent_memory.db")
        )
        app.state.sessions = async_sessionmaker(engine, expire_on_commit=False)
        yield
        await engine.dispose()


app = FastAPI(lifespan=lifespan)


async def get_memory(
    request: Request, user_id: str, session_id: str
) -> AsyncGenerator[AsyncSQLAlchemyMemory | RedisMemory, None]:
    """The memory of this request's user and session (its transaction, when on SQL)."""
    if BACKEND == "redis":
        async with RedisMemory(
            session_id, user_id, connection_pool=request.app.state.redis_pool, key_prefix=KEY_PREFIX
        ) as memory:
            yield memory
        return
    async with request.app.state.sessions() as db_session:
        memory = AsyncSQLAlchemyMemory(engine_or_session=db_session, session_id=session_id, user_id=user_id)
        try:
            yield memory
            await db_session.commit()
        except Exception:
            await db_session.rollback()
            raise


@app.post("/chat")
async def chat_endpoint(
    input: str,
    memory: AsyncSQLAlchemyMemory | RedisMemory = Depends(get_memory),  # noqa: B008
) -> dict[str, Any]:
    agent = ReActAgent(
        name="Friday",
        sys_prompt="You are a helpful assistant.",
        model=EchoModel(),
        formatter=OpenAIChatFormatter(),
        memory=memory,
    )
    agent.set_console_output_enabled(False)
    reply = await agent(Msg("user", input, "user"))
    history = await memory.get_memory()
    return {"reply": reply.get_text_content(), "history": [m.get_text_content() for m in history]}
