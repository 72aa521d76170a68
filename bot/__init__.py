"""河北区残疾人就业服务助手: a WeCom bot. `create_app` is the WSGI application factory."""

from bot.app import create_app

__all__ = ["create_app"]
