# xmoney-bot: python -m bot in a slim image, as a non-root user.
#   docker build -t xmoney-bot .
#   docker run --env-file .env -v xmoney-data:/app/data xmoney-bot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies in their own layer: rebuilt only when pyproject.toml changes, not on every
# code change. The list is read from pyproject.toml so it is written in one place.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The code; `python -m bot` runs it from /app.
COPY bot ./bot
COPY ledger ./ledger

# A user without privileges owns only the data folder (the SQLite database lives there).
RUN useradd --create-home --uid 10001 xmoney \
    && mkdir -p /app/data \
    && chown xmoney:xmoney /app/data
USER xmoney
VOLUME ["/app/data"]

# Webhook mode listens here (put a TLS reverse proxy in front); polling needs no port.
EXPOSE 8080

# Webhook mode: asks the bot's /healthz; polling mode: checks the database answers.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]

# SIGTERM (docker stop) makes the bot finish the updates it has and exit 0.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
