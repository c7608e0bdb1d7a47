# The contractflow image of the distributed deployment (docker-compose.yml): workers, watcher, review
# UI, Flower and the Tryton server all run from it. The model is served by llama.cpp's own image.
FROM python:3.11-slim
# Scanned pages are read by tesseract (pipeline/parse/ocr.py).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends tesseract-ocr \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY connectors ./connectors
COPY rules ./rules
RUN pip install --no-cache-dir '.[erp,ops]'
ENV CONTRACTFLOW_HOME=/data CONTRACTFLOW_RULES_DIR=/app/rules
ENTRYPOINT ["contractflow"]
