# The foiflow image: worker and CLI. Everything comes from PyPI; nothing is fetched at run time.
FROM python:3.11-slim
WORKDIR /app
# PDF letters (WeasyPrint): Pango and an Arial-metric font, from Debian.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation \
    && rm -rf /var/lib/apt/lists/*
COPY . /app
RUN pip install --no-cache-dir .
ENV FOIFLOW_DATA_DIR=/data
CMD ["python", "-m", "worker"]
