#!/usr/bin/env bash
# Sets up, builds and shows what shapeflow does on the bundled examples:
# shapes left open, shapes inferred from a bound input, symbolic shapes,
# the parameter table, errors reported with their source lines, then
# deferred initialization and a compiled plan running end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
dump=build/tools/graph-dump/graph-dump
run=build/tools/graph-run/graph-run

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

echo
echo "== The C++ network API: deferred initialization, step by step"
step build/examples/deferred_init
step build/examples/custom_blocks
step build/examples/model_zoo

echo
echo "== Running: parameters are initialized once, when their shapes are known"
step $run examples/mlp.sfg --bind %x=f32[2,20] --seed 7 --init xavier --verbose
step $dump examples/resnet18.sfg --bind %x=f32[1,3,224,224] --plan -o build/resnet18.plan
head -4 build/resnet18.plan
step $run examples/resnet18.sfg --bind %x=f32[1,3,224,224] --bench 5 --threads 2
step $run examples/transformer_encoder.sfg --bind %ids=i64[2,16] --id-bound 30000
