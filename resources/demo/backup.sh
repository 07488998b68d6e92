#!/bin/sh
# Copies every shard of a store to a dated backup directory.
set -eu

src=${1:?usage: backup.sh STORE DEST}
dest=${2:?usage: backup.sh STORE DEST}/$(date +%Y-%m-%d)

mkdir -p "$dest"
find "$src" -name MF | while read -r mf; do
    dir=$(dirname "$mf")
    rel=${dir#"$src"}
    mkdir -p "$dest/$rel"
    cp --sparse=always "$dir"/MF "$dir"/*.slot "$dir"/*.pack "$dest/$rel"/
done
echo "backed up to $dest"
