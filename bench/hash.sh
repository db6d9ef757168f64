#!/usr/bin/env bash
# Compares Retort's hashing with coreutils md5sum on the same data in the same run:
# one large file and many small files, MD5 and BLAKE3. Every timing is the best
# of REPEAT runs with the page cache warm, so it measures hashing, not the disk.
#
# Usage: bench/hash.sh [WORK_DIR]
#   BIG_MIB      size of the large file in MiB (default 1024)
#   SMALL_COUNT  number of small files (default 10000)
#   SMALL_KIB    size of each small file in KiB (default 8)
#   REPEAT       runs per measurement (default 3)
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d -t retort-hash-bench.XXXXXX)}
big_mib=${BIG_MIB:-1024}
small_count=${SMALL_COUNT:-10000}
small_kib=${SMALL_KIB:-8}
repeat=${REPEAT:-3}
mkdir -p "$work"

echo "building the hash_path example (release)..."
cargo build --quiet --release --manifest-path "$repo_root/Cargo.toml" -p retort-engine --example hash_path
hash_path="$repo_root/target/release/examples/hash_path"

big="$work/big.bin"
if [ ! -f "$big" ] || [ "$(stat -c %s "$big")" -ne $((big_mib * 1048576)) ]; then
    echo "writing $big_mib MiB of random data to $big..."
    head -c $((big_mib * 1048576)) /dev/urandom > "$big"
fi
small="$work/small"
if [ ! -d "$small" ] || [ "$(find "$small" -type f | wc -l)" -ne "$small_count" ]; then
    echo "writing $small_count files of $small_kib KiB to $small..."
    rm -rf "$small"
    # Spread the files over 100 subdirectories, as real data sets do.
    per_dir=$(( (small_count + 99) / 100 ))
    remaining=$small_count
    for index in $(seq 0 99); do
        count=$(( remaining < per_dir ? remaining : per_dir ))
        [ "$count" -gt 0 ] || break
        mkdir -p "$small/d$index"
        head -c $((count * small_kib * 1024)) /dev/urandom \
            | split -a 6 -d -b $((small_kib * 1024)) - "$small/d$index/f"
        remaining=$((remaining - count))
    done
fi
cat "$big" > /dev/null
find "$small" -type f -print0 | xargs -0 cat > /dev/null

# Best wall-clock seconds of `repeat` runs of a shell command.
best_of() {
    local best="" start end elapsed
    for _ in $(seq "$repeat"); do
        start=$(date +%s%N)
        bash -c "$1" > /dev/null
        end=$(date +%s%N)
        elapsed=$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }')
        if [ -z "$best" ] || awk -v a="$elapsed" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$elapsed
        fi
    done
    echo "$best"
}

retort() {
    "$hash_path" --repeat "$repeat" --algorithm "$@" | awk '{ print $2 }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

cores=$(nproc)
echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $cores cores"
echo "data: $big_mib MiB file; $small_count files of $small_kib KiB; best of $repeat runs"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

md5sum_big=$(best_of "md5sum '$big'")
retort_big=$(retort md5 "$big")
blake3_big=$(retort blake3 "$big")
md5sum_small=$(best_of "find '$small' -type f -print0 | xargs -0 md5sum")
md5sum_small_parallel=$(best_of "find '$small' -type f -print0 | xargs -0 -P $cores -n 500 md5sum")
retort_small=$(retort md5 "$small")
blake3_small=$(retort blake3 "$small")
store_root="$work/store-root"
rm -rf "$store_root"
mkdir -p "$store_root"
unchanged_small=$(retort md5 --store "$store_root" "$small")

printf '%-44s %8s %10s\n' "measurement" "seconds" "vs md5sum"
printf '%-44s %8s %10s\n' "md5sum, large file" "$md5sum_big" "1.00"
printf '%-44s %8s %10s\n' "retort md5, large file" "$retort_big" "$(ratio "$retort_big" "$md5sum_big")"
printf '%-44s %8s %10s\n' "retort blake3, large file" "$blake3_big" "$(ratio "$blake3_big" "$md5sum_big")"
printf '%-44s %8s %10s\n' "md5sum, small files (one process)" "$md5sum_small" "1.00"
printf '%-44s %8s %10s\n' "md5sum, small files ($cores processes)" "$md5sum_small_parallel" "$(ratio "$md5sum_small_parallel" "$md5sum_small")"
printf '%-44s %8s %10s\n' "retort md5, small files (directory hash)" "$retort_small" "$(ratio "$retort_small" "$md5sum_small")"
printf '%-44s %8s %10s\n' "retort blake3, small files (directory hash)" "$blake3_small" "$(ratio "$blake3_small" "$md5sum_small")"
printf '%-44s %8s %10s\n' "retort md5, small files unchanged (store)" "$unchanged_small" "$(ratio "$unchanged_small" "$md5sum_small")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
