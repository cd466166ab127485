#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages hms needs, only those that are missing.
#   scripts/system-packages.sh server    a MariaDB server and client, unless mariadbd/mysqld exists
#   scripts/system-packages.sh backup    mariadb-backup (physical backups, replicas, Galera state transfer)
#   scripts/system-packages.sh cluster   galera-4, socat (the mariadb-backup state transfer streams through it)
#                                        and iproute2 (the Galera cluster and its partition test)
#   scripts/system-packages.sh tools     percona-toolkit (pt-table-checksum), mydumper, sysbench: the
#                                        consistency check and the benchmarks' baselines
#   scripts/system-packages.sh browser   Chromium, for the console's browser tests
# mariadb-backup comes from the same repository as the server, so the two versions match
# (a physical backup tool must match its server's version).
#   scripts/system-packages.sh venv      python3-venv, when `python3 -m venv` cannot work
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/local/sbin/$1" ]; }

missing=()
for need in "$@"; do
  case "$need" in
    server)  have mariadbd || have mysqld || missing+=(mariadb-server mariadb-client) ;;
    backup)  have mariadb-backup || have xtrabackup || missing+=(mariadb-backup) ;;
    cluster) [ -e /usr/lib/galera/libgalera_smm.so ] || [ -e /usr/lib/libgalera_smm.so ] || missing+=(galera-4)
             have socat || missing+=(socat)
             have ip || missing+=(iproute2) ;;
    tools)   have pt-table-checksum || missing+=(percona-toolkit)
             have mydumper || missing+=(mydumper)
             have sysbench || missing+=(sysbench) ;;
    browser) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
    venv)    python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv) ;;
    *) echo "system-packages.sh: unknown need '$need'" >&2; exit 2 ;;
  esac
done

if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Error: missing ${missing[*]} and no apt-get here. Install them with your package manager." >&2
  exit 1
fi
echo "installing ${missing[*]} from the system packages"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
