FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . .
# Installed in place (-e) so api/migrate.py finds migrations/ next to the api package:
# the migrations are not part of the installed distribution. No extras: the embedded PostgreSQL
# (the `embedded` extra) is for running without DATABASE_URL, and here the database is a service.
RUN pip install -e . \
    && useradd --system --no-create-home claimtrack
USER claimtrack

EXPOSE 8000
CMD ["claimtrack", "serve", "--host", "0.0.0.0", "--port", "8000"]
