"""Policy knowledge base: entries/*.toml, search (base), text clean-up (text), what the bot
must not answer with policy (scope), and checks for staff who edit entries (curation).

Imports nothing from `bot/`; importing it loads no dictionary (that happens in
`KnowledgeBase.load()`).
"""
