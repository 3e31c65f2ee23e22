# The foiflow image: worker and CLI. Everything comes from PyPI; nothing is fetched at run time.
FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir .
ENV FOIFLOW_DATA_DIR=/data
CMD ["python", "-m", "worker"]
