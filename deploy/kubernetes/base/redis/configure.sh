#!/bin/sh
# Writes redis.conf and sentinel.conf for this pod into /etc/redis-rw (an emptyDir; sentinel
# rewrites its own file). The master is whoever the sentinels name; with none answering (the very
# first start) it is redis-0. Users and passwords come from the Secret gatehouse-redis (users.acl,
# replication_password), never from this script.
set -eu
set_name=gatehouse
headless="redis-headless.${POD_NAMESPACE}.svc.cluster.local"
self="${HOSTNAME}.${headless}"
replication_password="$(cat /run/secrets/redis/replication_password)"
master=""
for i in 0 1 2; do
  peer="redis-${i}.${headless}"
  [ "redis-${i}" = "${HOSTNAME}" ] && continue
  answer="$(timeout 3 redis-cli -h "$peer" -p 26379 --user replication --pass "$replication_password" --no-auth-warning \
    sentinel get-master-addr-by-name "$set_name" 2>/dev/null | head -n 1 || true)"
  if [ -n "$answer" ]; then master="$answer"; break; fi
done
[ -z "$master" ] && master="redis-0.${headless}"

cat > /etc/redis-rw/redis.conf <<CONF
port 6379
aclfile /run/secrets/redis/users.acl
masteruser replication
masterauth ${replication_password}
replica-announce-ip ${self}
save ""
appendonly no
dir /data
CONF
if [ "$master" != "$self" ] && [ "$master" != "${HOSTNAME}" ]; then
  echo "replicaof ${master} 6379" >> /etc/redis-rw/redis.conf
fi

cat > /etc/redis-rw/sentinel.conf <<CONF
port 26379
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip ${self}
sentinel monitor ${set_name} ${master} 6379 2
sentinel auth-user ${set_name} replication
sentinel auth-pass ${set_name} ${replication_password}
sentinel down-after-milliseconds ${set_name} 3000
sentinel failover-timeout ${set_name} 10000
sentinel parallel-syncs ${set_name} 1
sentinel sentinel-user replication
sentinel sentinel-pass ${replication_password}
CONF
