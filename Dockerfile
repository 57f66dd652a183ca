FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-mod-spatialite \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY geogrid geogrid
COPY api api
COPY maps maps
COPY data data
RUN pip install --no-cache-dir -e ".[serve,postgis]"
EXPOSE 8000
# the app's lifespan runs the Alembic migrations before serving; with --workers N (compose
# sets it) gunicorn forks the workers from one parent that loaded the app and the locator
CMD ["geogrid", "serve"]
