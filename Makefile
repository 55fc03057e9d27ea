# The two commands: `make demo` and `make test`. Both create .venv from this project's own files;
# `make test` also finds (or, as root, installs) the Chromium its browser tests drive.
PYTHON ?= python3
PORT   ?= 8000
DATA   ?= var/demo
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test browser packages lint bench loadtest soak cluster cluster-stop failover faults fuzz clean venv screenshots

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dev,oracle,lottery,load,tables,voice,themes]'
	touch $(STAMP)

venv: $(STAMP)

# make demo PORT=8767 DATA=var/demo2: links keep working across restarts on the same DATA.
demo: $(STAMP)
	@$(BIN)/plenary demo --port $(PORT) --data-dir $(DATA)

# Two workers, each test file whole on one (its servers are module fixtures): under ten minutes on
# two cores. WORKERS=0 runs them in this process. The sources are byte-compiled first: the suite
# starts a few hundred Python processes (hubs, swarms, the CLI), and where PYTHONDONTWRITEBYTECODE
# is set (it is on the machines this suite was timed on) each compiled every module it imported,
# 0.3 s of CPU per hub (compileall writes the .pyc files regardless; with them in place it is a
# check of the files' times, under a second).
WORKERS ?= 2
SOURCES := engine ballot moderation panel proposals attendance tables realtime cli loadtest tools tests
test: $(STAMP) browser packages lint
	$(BIN)/python -m compileall -q -j 0 $(SOURCES)
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile --durations=25

# The browser tests' Chromium: found, installed (root with apt-get), or the one command to run.
browser:
	@$(PYTHON) tools/chromium.py

# The Debian programs of the production topology (HAProxy, Redis 7) and of its faults (iptables,
# iproute2's ip and tc), and nginx (deploy/nginx.conf run for real by tests/integration/test_nginx.py)
# and coturn's turnserver (live voice's TURN, run for real by tests/integration/test_voice_coturn.py):
# found, installed (root with apt-get), or the one command to run (tools/system_packages.py).
SYSTEM_PROGRAMS := haproxy redis-server iptables ip tc nginx turnserver
packages:
	@$(PYTHON) tools/system_packages.py $(SYSTEM_PROGRAMS) >/dev/null

# make cluster: Redis (AOF, appendfsync always), HUBS hub processes and HAProxy in front, on
# 127.0.0.1 (HAProxy on CLUSTER_PORT, hub i on CLUSTER_PORT+i); it prints the URL to open.
# make cluster-stop ends exactly what it started. REDIS=cluster: on a Redis Cluster
# (three masters with a replica each, tools/redis_cluster.py) instead of one Redis.
CLUSTER_DIR  ?= var/cluster
CLUSTER_PORT ?= 8100
HUBS         ?= 3
REDIS        ?= single
cluster: $(STAMP) packages
	@$(BIN)/python -m cli.cluster start --dir $(CLUSTER_DIR) --port $(CLUSTER_PORT) --hubs $(HUBS) \
	    --redis $(REDIS) --haproxy "$$($(PYTHON) tools/system_packages.py haproxy)" \
	    --redis-server "$$($(PYTHON) tools/system_packages.py redis-server)"

cluster-stop:
	@$(BIN)/python -m cli.cluster stop --dir $(CLUSTER_DIR)

# make failover PANELISTS=3000: a hub killed behind HAProxy during a cast burst, on its own
# topology (var/failover, HAProxy on 8300); figures as JSON under loadtest/reports/ (about a minute).
PANELISTS ?= 1000
failover: $(STAMP) packages
	@$(BIN)/python -m loadtest.faults --fault kill-hub --panelists $(PANELISTS) --pin $(ARGS) \
	    --out loadtest/reports/failover-$(PANELISTS).json \
	    --haproxy "$$($(PYTHON) tools/system_packages.py haproxy)" \
	    --redis-server "$$($(PYTHON) tools/system_packages.py redis-server)"

# make faults FAULT=redis-kill PANELISTS=3000: one fault during chat and a cast burst, on its own
# topology (var/failover, HAProxy on 8300), every acknowledged ballot and chat message checked;
# FAULT is one of kill-hub, redis-term, redis-kill, hub-cut, slow-link (loadtest/faults.py; root
# for hub-cut and slow-link). Figures as JSON under loadtest/reports/ (about a minute).
# FAULT=cluster-master-kill REDIS=cluster: on a Redis Cluster, the vote's master killed.
FAULT ?= redis-kill
faults: $(STAMP) packages
	@$(BIN)/python -m loadtest.faults --fault $(FAULT) --panelists $(PANELISTS) --pin $(ARGS) \
	    --redis $(REDIS) --out loadtest/reports/faults-$(FAULT)-$(PANELISTS).json \
	    --iptables "$$($(PYTHON) tools/system_packages.py iptables)" \
	    --ip "$$($(PYTHON) tools/system_packages.py ip)" --tc "$$($(PYTHON) tools/system_packages.py tc)" \
	    --haproxy "$$($(PYTHON) tools/system_packages.py haproxy)" \
	    --redis-server "$$($(PYTHON) tools/system_packages.py redis-server)"

# make screenshots: every page and its main states at 390x844 and 1280x800, in Korean, to
# docs/screenshots/ (its own demo hub, stopped at the end; tests/browser/screenshots.py).
screenshots: $(STAMP) browser
	$(BIN)/python -m tests.browser.screenshots --out docs/screenshots

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m loadtest.bench

# make loadtest SCENARIO=plenary-burst: the full-size scenario (about two minutes), its report under
# loadtest/reports/; also reconnect-storm, slow-readers, capacity, scaling (docs/performance.md,
# "Issue 11: load scenarios"); ARGS passes more options (python -m loadtest.scenarios --help).
SCENARIO ?= plenary-burst
loadtest: $(STAMP)
	$(BIN)/python -m loadtest.scenarios $(SCENARIO) $(ARGS)

# make soak MINUTES=30: the plenary for MINUTES with 1,000 panelists (chat, Q&A votes, a vote every
# 3 minutes, 3% reconnecting every minute), each hub's RSS, fds and asyncio tasks and Redis' memory
# sampled; checks memory flat and nothing leaked (loadtest/verdicts.py); report and soak.png under
# loadtest/reports/ (docs/reliability.md, "Issue 12: the soak"). ARGS passes more options.
MINUTES ?= 30
soak: $(STAMP)
	$(BIN)/python -m loadtest.scenarios soak --minutes $(MINUTES) $(ARGS)

# make proposals-load: issue 14's proposals at scale (3,000 panelists in 10 topic meetings, 500
# proposals and 20,000 supports in an hour compressed into --minutes (3), then 3,000 supports of the
# hot proposal within a minute); checks Redis against the generator's tally; report under
# loadtest/reports/ (docs/performance.md, "Issue 14: proposals at scale"). ARGS passes more options.
.PHONY: proposals-load
proposals-load: $(STAMP)
	$(BIN)/python -m loadtest.scenarios proposals $(ARGS)

# make tables-load: issue 15's live tables at scale (3,000 panelists at 300 tables on 2 hubs, each
# table chatting, 3 cards per table per step, the theme console and the hosts' overview following,
# then every table phone dropping at once and back from its offsets: about three minutes); checks
# each table's record in Redis and every delivery; report under loadtest/reports/
# (docs/performance.md, "Issue 15: tables at scale"). ARGS passes more options.
.PHONY: tables-load
tables-load: $(STAMP)
	$(BIN)/python -m loadtest.scenarios tables $(ARGS)

# make properties: every property test (hypothesis) with ten times the examples `make test` gives it
# (--hypothesis-profile=long, tests/examples.py): the long runs a change to a codec, a state machine
# or a tally deserves; `make test` runs each at the size its test states.
.PHONY: properties
properties: $(STAMP)
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile --hypothesis-profile=long \
	    $$(grep -rl --include='test_*.py' -e '@given' -e 'RuleBasedStateMachine' tests)

# make fuzz: a million mutated frames through the decoder, then every command from every role
# against a real hub and Redis (tests/fuzz); each layer bounded in inputs and seconds, progress
# lines as it goes, exit 1 on any finding. ARGS passes more (python -m tests.fuzz --help).
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz all --pin $(ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
