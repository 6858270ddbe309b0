#!/usr/bin/env bash
# Install, only when missing, the Debian 12 packages telem needs to build and test.
# Idempotent: a machine that has everything runs no apt-get at all.
set -eu

packages=(
  build-essential pkg-config
  libelf-dev libdw-dev elfutils libdebuginfod-dev
  libcurl4-openssl-dev libjansson-dev
  libcmocka-dev
  strace valgrind hyperfine bear gdb python3 make
  util-linux procps
  chromium
  libmicrohttpd-dev libsqlite3-dev curl iproute2 prometheus-pushgateway wrk
  groff-base man-db openssl binutils bsdutils
)
packages+=(musl-tools qemu-user-static gcc-multilib clang lld libclang-rt-14-dev libc6-dev-arm64-cross libgcc-12-dev-arm64-cross binutils-aarch64-linux-gnu) # issue 13: musl, i386, arm64 and sanitizer builds (65-fleet.t, 66-sanitizers.t)
packages+=(g++) # the C++ program using include/telem/counter.h (25-counter-api.t)
packages+=(libgtest-dev googletest libpython3.11-testsuite) # make test-peers (issue 18): googletest death tests, CPython's own test package
packages+=(libpq-dev postgresql python3-psycopg2) # the collector's PostgreSQL backend and its tests (issue 15)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps.sh: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
