"""A LangChain chain whose chat history lives in memmark (SQLite here; any backend works).

``RunnableWithMessageHistory`` asks ``get_session_history`` for each session's history; every
session is a memmark memory on one shared engine, so `memmark show` lists the conversation too.
The chat model is langchain-core's fake one, so the example runs without network or API key.
LangChain marks ``RunnableWithMessageHistory`` as deprecated in favour of LangGraph; it still
works and is what ``BaseChatMessageHistory`` implementations plug into.

Run: ``python examples/langchain_history.py`` (it writes ``langchain_history.db`` here).
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import Runnable
from langchain_core.runnables.history import RunnableWithMessageHistory
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from memmark.integrations.langchain import MemmarkChatMessageHistory, run_sync
from memmark.memory import AsyncSQLAlchemyMemory

PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "You answer in one short sentence."),
        MessagesPlaceholder("history"),
        ("human", "{question}"),
    ]
)


def build_chain(model: Runnable[Any, Any], get_session_history: Any) -> RunnableWithMessageHistory:
    """The prompt and model, with each session's history read before and saved after a call."""
    return RunnableWithMessageHistory(
        PROMPT | model,
        get_session_history,
        input_messages_key="question",
        history_messages_key="history",
    )


def history_on(engine: AsyncEngine, user_id: str) -> Any:
    """``get_session_history`` for one user: a memmark history per session id."""

    def get_session_history(session_id: str) -> MemmarkChatMessageHistory:
        memory = AsyncSQLAlchemyMemory(engine, session_id=session_id, user_id=user_id)
        return MemmarkChatMessageHistory(memory)

    return get_session_history


def main() -> None:
    engine = create_async_engine("sqlite+aiosqlite:///./langchain_history.db")
    model = FakeListChatModel(responses=["Paris.", "About 2.1 million people.", "Hello!"])
    chain = build_chain(model, history_on(engine, "alice"))
    turns = [
        ("trip", "What is the capital of France?"),
        ("trip", "How many people live there?"),
        ("smalltalk", "Hi!"),
    ]
    for session_id, question in turns:
        answer = chain.invoke({"question": question}, {"configurable": {"session_id": session_id}})
        print(f"[{session_id}] {question} -> {answer.content}")
    for session_id in ("trip", "smalltalk"):
        history = history_on(engine, "alice")(session_id)
        print(f"{session_id}: {[m.type + ': ' + m.text for m in history.messages]}")
    run_sync(engine.dispose())  # the sync calls ran on memmark's loop: dispose there too


if __name__ == "__main__":
    main()
