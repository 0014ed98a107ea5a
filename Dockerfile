# The Load Manager server, as `npm start` runs it (deploy/kubernetes/server.yaml uses it):
#   docker build -t registry.example.com/loadmgr:0.1.0 .
# Not built in CI (the test machine has no Docker engine); the steps are the project's own setup scripts.
FROM node:20-bookworm
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-venv bubblewrap \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# npm dependencies, the Locust venv and the agent's wheel, the dashboard: what `npm start` would install.
RUN bash scripts/setup.sh && bash scripts/setup-python.sh && bash scripts/build-web.sh
ENV HOST=0.0.0.0 PORT=8080 LOADMGR_DATA_DIR=/data
EXPOSE 8080
CMD ["node", "--import", "tsx", "server/src/main.ts"]
