#!/usr/bin/env bash
# Build the Redis guest image with diskimage-builder:
#
#   tools/build-guest-image.sh [OUTPUT]      # OUTPUT.qcow2, default
#                                            # ./trove-mr-redis.qcow2
#
# The image is a minimal Ubuntu (GUEST_DISTRO, GUEST_RELEASE) with
# redis-server, cloud-init and trove-mr-guestagent in /opt/trove-mr-guest
# (installed from this checkout) started by systemd. Upload the SAME file
# to every region under one name, tagged as the datastore version says;
# the control plane compares checksums across regions before building
# outside its own.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$PWD/trove-mr-redis}
out=${out%.qcow2}
distro=${GUEST_DISTRO:-ubuntu-minimal}
export DIB_RELEASE=${GUEST_RELEASE:-jammy}
dib_venv=${DIB_VENV:-$PWD/.dib-venv}
if ! command -v disk-image-create >/dev/null; then
    if [ ! -x "$dib_venv/bin/disk-image-create" ]; then
        python3 -m venv "$dib_venv"
        "$dib_venv/bin/pip" install -q 'diskimage-builder>=3.30,<4'
    fi
    PATH=$dib_venv/bin:$PATH
fi
export ELEMENTS_PATH=$PWD/guest-image/elements${ELEMENTS_PATH:+:$ELEMENTS_PATH}
export TROVE_MR_SOURCE=$PWD
disk-image-create -a "${GUEST_ARCH:-amd64}" -t qcow2 -o "$out" \
    "$distro" vm cloud-init-datasources trove-mr-guest
echo "built $out.qcow2 (md5 $(md5sum "$out.qcow2" | cut -d' ' -f1))"
echo "upload it to each region, e.g.:"
echo "  openstack --os-region-name <region> image create trove-mr-redis \\"
echo "      --disk-format qcow2 --container-format bare --tag trove \\"
echo "      --tag redis --file $out.qcow2"
