"""The wallet as a Telegram Mini App: a page (``page``), its JSON API (``api``) authenticated by
Telegram's init data (``auth``), the balance chart drawn on the server (``chart``), and the one
function through which the page moves money (``pay``). ``app.make_app`` puts them together in
one Starlette (ASGI) app."""
