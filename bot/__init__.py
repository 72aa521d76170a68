"""河北区残疾人就业服务助手: a WeCom bot. `create_app` is the WSGI application factory.

`create_app` is imported on first use, so that `handlers/` and the scheduler can use
`bot.messages` and `bot.router` without loading Flask.
"""

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from bot.app import create_app

        return create_app
    raise AttributeError(name)
