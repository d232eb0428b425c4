#!/usr/bin/env bash
# Sets up, builds and shows what shapeflow does on the bundled examples:
# shapes left open, shapes inferred from a bound input, symbolic shapes,
# the parameter table, and errors reported with their source lines.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
dump=build/tools/graph-dump/graph-dump

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step $dump examples/mlp.sfg
step $dump examples/mlp.sfg --bind %x=f32[2,20]
step $dump examples/mlp.sfg --bind %x=f32[N,20] --params
for example in lenet vgg11 resnet18 mobilenet_v1 transformer_encoder conv_chain100; do
  [[ -f examples/$example.sfg ]] || continue
  step $dump examples/$example.sfg --params
done
if [[ -f examples/resnet18.sfg ]]; then
  step $dump examples/resnet18.sfg --bind %x=f32[N,3,H,W] --format=json -o build/resnet18.json
  echo "(wrote build/resnet18.json; outputs:)"
  python3 -c 'import json; g = json.load(open("build/resnet18.json"))["graphs"][0]; print(g["outputs"])'
fi
echo
echo '$ graph-dump on a graph whose declared weight conflicts with its input:'
printf '%s\n' 'graph bad(%x: f32[2, 20]) {' \
  '  %w0 = param' '  %h = dense(%x, %w0, units=256)' \
  '  %w1 = param : f32[10, 30]' '  %y = dense(%h, %w1, units=10)' \
  '  return %y' '}' > build/bad.sfg
$dump build/bad.sfg || echo "(exit code $?)"
