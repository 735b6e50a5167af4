# syntax=docker/dockerfile:1
# Build stage: a virtualenv with Riftcast, its dependencies and the `fast` extra (nutpie,
# the sampler refits use when it is installed; without it they fall back to PyMC's NUTS).
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md constraints.txt ./
COPY signals ./signals
COPY models ./models
COPY service ./service
RUN pip install --no-cache-dir -c constraints.txt "./[fast]"

# Runtime stage: slim, non-root; PyTensor compiles with g++ at fit time, so it stays.
FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++=4:12.2.0-3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 riftcast \
    && useradd --create-home --uid 10001 --gid 10001 riftcast \
    && mkdir -p /data && chown riftcast:riftcast /data
COPY --from=build /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" \
    RIFTCAST_DATA_DIR=/data \
    PYTENSOR_FLAGS="base_compiledir=/data/.pytensor" \
    NUMBA_CACHE_DIR=/data/.numba \
    PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /home/riftcast
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# Migrations first, then the server: the same command the test suite runs.
CMD ["riftcast", "serve", "--migrate", "--host", "0.0.0.0", "--port", "8000"]
