"""xmoney-bot: the Telegram chat in front of the ledger. Handlers parse, call the ledger,
render and reply; there is no SQL in this package."""
