#!/usr/bin/env bash
# How fast could the 4 KB CertificateInstallationRes (and the SupportedAppProtocolReq) decode if decoded values
# allocated less and strings cost nothing? A measurement, not a design: dev/patches/exi-decode-floor.patch is
# applied to a copy of this tree in .build/peers/exi-decode-floor, and that copy's release `exi-bench` then decodes
# with parts of the work left out, chosen by PNC_EXI_FLOOR (`DecodeFloorPatchTests` checks that the patch applies):
#
#   (unset)  unchanged: the control, which must match the build of this tree
#   binary   binary values over 16 octets are realigned into one scratch buffer and no array is made for them
#            (the 13 certificates, digests, signature and keys of the message: what binary content sliced from one
#            shared buffer would save at most, since such a buffer still needs the copy)
#   both     as binary, and strings with a table of known values (the algorithm URIs, the protocol namespaces) are
#            skipped instead of looked up
#
# The decoded values of `binary` and `both` are wrong (empty arrays, the first known string): only the time counts.
#
#   dev/bench-exi-decode-floor.sh [MILLISECONDS] [ROUNDS]     default 300 ms per measurement, 3 interleaved rounds
#
# Prints, per message, the decode ns/op of each build and mode, round by round, the best of them and the
# allocations per decode.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
milliseconds=${1:-300}
rounds=${2:-3}
copy=$root/.build/peers/exi-decode-floor
messages=(CertificateInstallationRes SupportedAppProtocolReq)

echo "building exi-bench (release) of this tree" >&2
swift build -c release --product exi-bench >&2
ours=$(swift build -c release --product exi-bench --show-bin-path)/exi-bench

# The copy holds the tracked files as they are in this tree (edits included), so both builds differ only by the patch.
echo "copying this tree to $copy and applying dev/patches/exi-decode-floor.patch" >&2
mkdir -p "$copy"
find "$copy" -mindepth 1 -maxdepth 1 ! -name .build -exec rm -rf {} +
git ls-files -z | tar --null -T - -c | tar -x -C "$copy"
# The copy is a repository of its own: inside this one, `git apply` would skip every path as outside the directory.
rm -rf "$copy/.git"
(cd "$copy" && git init --quiet . && git apply --whitespace=nowarn "$root/dev/patches/exi-decode-floor.patch")
grep -q EXIDecodeFloor "$copy/Sources/EXI/EXIBitReader.swift" || { echo "the patch did not apply" >&2; exit 1; }
echo "building exi-bench (release) of the patched copy" >&2
(cd "$copy" && swift build -c release --product exi-bench >&2)
floor=$(cd "$copy" && swift build -c release --product exi-bench --show-bin-path)/exi-bench

# One line per run and message: the decode ns/op and decode allocations/op (fields 4 and 6 of --tsv).
measure() {
    local label=$1
    shift
    local message line
    for message in "${messages[@]}"; do
        line=$("$@" --tsv --milliseconds "$milliseconds" --only "$message" | grep "^$message")
        printf '%s\t%s\t%s\t%s\n' "$message" "$label" "$(cut -f4 <<<"$line")" "$(cut -f6 <<<"$line")"
    done
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq 1 "$rounds"); do
    measure "this tree" "$ours" >>"$results"
    measure "patched, unset" env -u PNC_EXI_FLOOR "$floor" >>"$results"
    measure "patched, binary" env PNC_EXI_FLOOR=binary "$floor" >>"$results"
    measure "patched, both" env PNC_EXI_FLOOR=both "$floor" >>"$results"
    echo "round $round done" >&2
done

echo "decode, $rounds interleaved rounds of $milliseconds ms each"
python3 - "$results" <<'EOF'
import sys
rows = {}
for line in open(sys.argv[1], encoding="utf-8"):
    message, label, ns, allocs = line.rstrip("\n").split("\t")
    rows.setdefault(message, {}).setdefault(label, []).append((float(ns), allocs))
for message, labels in rows.items():
    print(message)
    for label, runs in labels.items():
        figures = ", ".join(f"{ns:.0f}" for ns, _ in runs)
        print(f"  {label:<16} best {min(ns for ns, _ in runs):>6.0f} ns   runs: {figures}   allocations/op: {runs[0][1]}")
EOF
