#!/bin/sh
# Provision a machine for tsdocker: Node.js 20, a C toolchain, then the checkout built and
# installed as the global `tsdocker` command. Used by the Vagrantfile (Ubuntu 22.04); works on
# Debian 12 and Ubuntu 22.04 or later. Run as root:
#
#   sh scripts/provision.sh [CHECKOUT]        (default: the directory above this script)
#
# Ubuntu 22.04 ships Node.js 12 and Debian 12 Node.js 18, so Node.js 20 comes from NodeSource's apt
# repository, unless a node of version 20 or later is already on PATH (then it is used as it is).
set -eu

checkout=${1:-$(cd "$(dirname "$0")/.." && pwd)}
export DEBIAN_FRONTEND=noninteractive

say() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
    echo "provision.sh: run as root (sudo sh $0)" >&2
    exit 1
fi

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

say "apt packages: C toolchain, util-linux (nsenter), ca-certificates"
apt-get update -q
apt-get install -y -q --no-install-recommends build-essential ca-certificates curl gnupg util-linux

if [ "$(node_major)" -ge 20 ]; then
    say "Node.js $(node --version) is already installed"
else
    say "Node.js 20 from NodeSource (https://deb.nodesource.com)"
    mkdir -p /etc/apt/keyrings
    curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key \
        | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
    echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main" \
        > /etc/apt/sources.list.d/nodesource.list
    apt-get update -q
    apt-get install -y -q nodejs
fi

say "build tsdocker in $checkout (TypeScript and native/)"
cd "$checkout"
# As root, npm runs the package's "prepare" build as the owner of the directory (in the VM, the
# shared folder's owner, vagrant), so the files it makes are the user's to edit and rebuild.
npm install --no-audit --no-fund

say "install the tsdocker command"
npm install -g --no-audit --no-fund "$checkout"

say "done: $(command -v tsdocker)"
tsdocker --version
tsdocker info
