#!/usr/bin/env bash
# Install the Debian packages that building and testing ustack need,
# only those that are missing. Runs apt-get (needs root) only if something is.
set -euo pipefail

packages=(
	gcc make clang libclang-rt-14-dev pkg-config
	libevent-dev libpcap-dev libcriterion-dev
	iproute2 iputils-ping arping tshark tcpdump ethtool strace
	mandoc procps systemd socat dnsmasq python3 curl wget iperf3 nginx-light redis-server wrk
	radvd
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
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
