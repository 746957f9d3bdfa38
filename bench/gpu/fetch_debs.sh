#!/usr/bin/env bash
# Fetches the Debian packages formbench's build needs on the GPU machine (where nothing can be installed and
# nothing downloaded) into DIR, for bench/gpu/device_check.sh to unpack there with `dpkg -x` into a prefix.
# Headers, CMake configs and the shared libraries they need; oneDNN is optional (the GPU check does not need it).
#   bench/gpu/fetch_debs.sh DIR [--with-onednn]
set -euo pipefail
dir=${1:?usage: fetch_debs.sh DIR [--with-onednn]}
shift
pkgs=(libfmt-dev libfmt9 libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libtomlplusplus3
      libsqlite3-dev libsqlite3-0 libgtest-dev libonnx-dev libonnx1 libonnxifi
      libprotobuf-dev libprotobuf32 libprotobuf-lite32 zlib1g-dev)
for a in "$@"; do
  case $a in
    --with-onednn) pkgs+=(libdnnl-dev libdnnl2) ;;
    *) echo "fetch_debs.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# apt-get download writes into the current folder; run it where the _apt user can write.
tmp=$(mktemp -d)
chmod 755 "$tmp"
(cd "$tmp" && apt-get download "${pkgs[@]}" >/dev/null 2>&1 || (cd "$tmp" && apt-get download "${pkgs[@]}"))
mv "$tmp"/*.deb "$dir"/
rmdir "$tmp"
n=$(ls "$dir"/*.deb | wc -l)
echo "fetch_debs.sh: $n packages in $dir, $(du -sh "$dir" | cut -f1) in all"
