#!/usr/bin/env bash
# Make sure the services trove-mr's tests and ./run.sh use are installed and
# running on this machine: RabbitMQ, MariaDB, PostgreSQL, ZooKeeper (the
# tests of the ZooKeeper jobboard), memcached and the redis-server binary
# the guests run. Installs from Debian's packages only what is missing, starts only what
# is not answering. Safe to run again.
#
#   tools/ensure-services.sh [all]      what the tests need (run_tests.sh)
#   tools/ensure-services.sh run        what ./run.sh needs
#   tools/ensure-services.sh zookeeper  ZooKeeper only
#   tools/ensure-services.sh memcached  memcached only
#   tools/ensure-services.sh chromium   chromium and chromedriver only
set -euo pipefail

log() { echo "ensure-services: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

apt_updated=
apt_install() {
    if [ -z "$apt_updated" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        apt_updated=1
    fi
    log "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        -o Dpkg::Options::=--force-confold "$@" >/dev/null
}

wait_port() {
    local port=$1 name=$2
    for _ in $(seq 1 120); do
        port_open "$port" && return 0
        sleep 0.5
    done
    log "$name did not start listening on $port"
    return 1
}

ensure_redis_binary() {
    command -v redis-server >/dev/null || apt_install redis-server redis-tools
    command -v redis-cli >/dev/null || apt_install redis-tools
}

ensure_rabbitmq() {
    if ! port_open 5672; then
        command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
        log "starting RabbitMQ"
        rabbitmq-server -detached >/dev/null 2>&1 || true
        rabbitmqctl -q await_startup >/dev/null 2>&1 || true
        wait_port 5672 RabbitMQ || return 1
    fi
    # The management plugin's HTTP API makes each guest's broker user in
    # milliseconds (rabbitmqctl starts an Erlang node per call).
    port_open 15672 && return 0
    log "enabling the RabbitMQ management plugin"
    rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1 || true
    wait_port 15672 "RabbitMQ management" || true
}

ensure_mariadb() {
    port_open 3306 && return 0
    command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] \
        || apt_install mariadb-server
    log "starting MariaDB"
    mkdir -p /run/mysqld && chown mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background \
        --exec /usr/sbin/mariadbd -- --user=mysql >/dev/null
    wait_port 3306 MariaDB
}

ensure_postgresql() {
    port_open 5432 && return 0
    ls /etc/postgresql/*/main >/dev/null 2>&1 || apt_install postgresql
    log "starting PostgreSQL"
    local ver
    ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    # Tests connect over TCP as postgres without a password.
    local hba=/etc/postgresql/$ver/main/pg_hba.conf
    if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
        sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    fi
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null
    wait_port 5432 PostgreSQL
}

# ZooKeeper on 127.0.0.1:2181 from Debian's package, on a configuration of
# our own: the package's example keeps its data in /tmp and would start an
# admin web server on port 8080.
ZK_PORT=2181
ZK_HOME=/usr/share/zookeeper
ZK_CONF=/etc/zookeeper/trove-mr.cfg
ZK_DATA=/var/lib/zookeeper/trove-mr

# True when a ZooKeeper serves on ZK_PORT: "srvr" is the four-letter
# command every ZooKeeper answers by default, and only while serving.
zk_serving() {
    local reply
    reply=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" &&
        printf srvr >&3 && cat <&3' _ "$ZK_PORT" 2>/dev/null) || true
    [[ $reply == *"Zookeeper version"* ]]
}

ensure_zookeeper() {
    zk_serving && return 0
    [ -x "$ZK_HOME/bin/zkServer.sh" ] || apt_install zookeeper
    local pidfile=$ZK_DATA/zookeeper_server.pid pid
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$pid" ] && grep -qs QuorumPeerMain "/proc/$pid/cmdline"; then
        log "waiting for ZooKeeper (pid $pid)"
    else
        log "starting ZooKeeper"
        rm -f "$pidfile"
        mkdir -p "$ZK_DATA"
        chown zookeeper:zookeeper "$ZK_DATA"
        cat > "$ZK_CONF" <<EOF
# Written by trove-mr's tools/ensure-services.sh: one ZooKeeper for the
# tests of the ZooKeeper jobboard. Sessions last 4 to 40 seconds.
tickTime=2000
dataDir=$ZK_DATA
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr,ruok,stat,mntr
autopurge.purgeInterval=1
EOF
        # zkServer.sh, with the package's environment (logs in
        # /var/log/zookeeper), runs it in the background as the package's
        # user.
        runuser -u zookeeper -- env JMXDISABLE=true \
            SERVER_JVMFLAGS="-Xmx256m" \
            "$ZK_HOME/bin/zkServer.sh" start "$ZK_CONF" >/dev/null 2>&1 \
            || { log "zkServer.sh could not start ZooKeeper"; return 1; }
    fi
    for _ in $(seq 1 120); do
        zk_serving && return 0
        sleep 0.5
    done
    log "ZooKeeper does not answer on $ZK_PORT (see /var/log/zookeeper)"
    return 1
}

# memcached on 127.0.0.1:11211 from Debian's package: the API's token
# cache (keystonemiddleware through oslo.cache) and the control plane's
# shared record of RPC nonces already received.
MEMCACHED_PORT=11211

ensure_memcached() {
    port_open "$MEMCACHED_PORT" && return 0
    command -v memcached >/dev/null || apt_install memcached
    log "starting memcached"
    start-stop-daemon --start --oknodo --background \
        --exec /usr/bin/memcached -- -u memcache -l 127.0.0.1 \
        -p "$MEMCACHED_PORT" -m 64 >/dev/null
    wait_port "$MEMCACHED_PORT" memcached
}

# The account the database tests use, on both servers: on a stock Debian
# install root only logs in through the local socket.
TEST_USER=trove_mr_test
TEST_PASSWORD=trove_mr_test

ensure_mariadb_account() {
    local sql="CREATE USER IF NOT EXISTS '$TEST_USER'@'127.0.0.1'
        IDENTIFIED BY '$TEST_PASSWORD';
        GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'127.0.0.1';"
    mariadb -uroot -e "$sql" 2>/dev/null \
        || mariadb -uroot -h127.0.0.1 -e "$sql" \
        || { log "cannot create the MariaDB test account"; return 1; }
}

ensure_postgresql_account() {
    local sql="DO \$\$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$TEST_USER')
        THEN CREATE ROLE $TEST_USER LOGIN SUPERUSER
             PASSWORD '$TEST_PASSWORD';
        END IF; END \$\$;"
    runuser -u postgres -- psql -q -d postgres -c "$sql" >/dev/null \
        2>&1 || psql -q -h 127.0.0.1 -U postgres -d postgres -c "$sql" \
        >/dev/null || { log "cannot create the PostgreSQL test account"
                       return 1; }
}

# The dashboard's browser tests: Debian's chromium and its driver (never
# a browser downloaded by a test tool).
ensure_chromium() {
    command -v chromium >/dev/null && command -v chromedriver >/dev/null \
        || apt_install chromium chromium-driver
}

case "${1:-all}" in
    all)
        ensure_redis_binary
        ensure_rabbitmq
        ensure_mariadb
        ensure_mariadb_account
        ensure_postgresql
        ensure_postgresql_account
        ensure_zookeeper
        ensure_memcached
        ensure_chromium
        ;;
    run)   # what ./run.sh needs
        ensure_redis_binary
        ensure_rabbitmq
        ensure_memcached
        ;;
    memcached)
        ensure_memcached
        ;;
    zookeeper)
        ensure_zookeeper
        ;;
    chromium)
        ensure_chromium
        ;;
    *) log "usage: $0 [all|run|zookeeper|memcached|chromium]"; exit 2 ;;
esac
