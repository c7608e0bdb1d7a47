# Worker image for the distributed deployment (docker-compose.yml). The local model runtime is
# built into its own image by a later issue; workers here talk to CONTRACTFLOW_LLM_BASE_URL.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY connectors ./connectors
COPY rules ./rules
RUN pip install --no-cache-dir .
ENV CONTRACTFLOW_HOME=/data CONTRACTFLOW_RULES_DIR=/app/rules
ENTRYPOINT ["contractflow"]
