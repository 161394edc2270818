#!/usr/bin/env bash
# Install the Debian packages that building and testing ustack need,
# only those that are missing. Runs apt-get (needs root) only if something is.
set -euo pipefail

packages=(
	gcc make clang libclang-rt-14-dev pkg-config
	libevent-dev libpcap-dev libcriterion-dev
	iproute2 iputils-ping iputils-tracepath traceroute arping tshark tcpdump
	ethtool strace
	mandoc procps systemd socat dnsmasq python3 curl wget iperf3 nginx-light redis-server wrk
	# stock programs (test/integration/55-stock-programs.sh)
	openssh-server openssh-client mosquitto mosquitto-clients sockperf
	traceroute iputils-tracepath util-linux git nodejs memcached netcat-openbsd
	bind9-dnsutils
	# more stock programs (test/integration/56-stock-more.sh)
	lighttpd haproxy rsync openssl
	radvd
	# packets crafted by the tests (26-loopback, 35-hostile...)
	python3-scapy
	# Go and static programs under ustack-run's supervisor (48-supervisor.sh)
	golang-go caddy
	# make bench's plot (tools/bench/run.sh)
	gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#packages[@]} packages present"
	exit 0
fi
echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: installing packages needs root; run: sudo make deps" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The tests run these servers in namespaces of their own: installing them
# must not start sshd, nginx, redis, mosquitto or dnsmasq on this machine.
# policy-rc.d(8) answers "not now" to every service start during the
# install (unless the administrator already has a policy of their own).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	trap 'rm -f "$policy"' EXIT
	printf '#!/bin/sh\n# make deps: start no service while installing\nexit 101\n' >"$policy"
	chmod 755 "$policy"
fi
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
