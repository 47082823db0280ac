#!/usr/bin/env bash
# Renders the README's pictures: the OSSM 2.6 -> 3.0 story (fixtures/ossm-2.6-to-3.0,
# domain.md section 8) as meshrev draws it, through Graphviz.
#
#   docs/migration-<stage>.png   one picture per stage (`meshrev graph --format dot | dot -Tpng`)
#   docs/migration.png           the five stages side by side
#
# Needs Graphviz (`apt-get install graphviz`) and the Rust toolchain. Output is
# deterministic: rerun after changing the graph export and commit the PNGs.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dot >/dev/null || { echo "render-graphs: needs Graphviz's dot (apt-get install graphviz)" >&2; exit 1; }

cargo build --example meshrev --quiet
bin=target/debug/examples/meshrev
story=fixtures/ossm-2.6-to-3.0
mkdir -p docs

stages=(01-before 02-mercury-relabelled 03-mercury-migrated 04-all-migrated 05-smcp-deleted)
titles=(
  "01 before: basic (OSSM 2.6) injects all five namespaces, ossm3 (OSSM 3.0) none"
  "02 after kubectl label ns mercury istio.io/rev=ossm3 ...: mercury's pods still run basic"
  "03 after kubectl rollout restart -n mercury: two data planes"
  "04 after the same for venus, earth, mars, jupiter: basic unused"
  "05 after kubectl delete smcp basic: no basic left"
)

for i in "${!stages[@]}"; do
  s=${stages[$i]}
  "$bin" graph --format dot "$story/$s.yaml" |
    dot -Glabel="${titles[$i]}" -Glabelloc=t -Glabeljust=l -Gfontsize=16 -Gpad=0.3 \
      -Tpng -o "docs/migration-$s.png"
  echo "docs/migration-$s.png"
done

# Side by side: a graph whose nodes are the stage pictures.
{
  echo 'digraph story {'
  echo '  graph [rankdir=LR, nodesep=0.2, ranksep=0.25, imagepath="docs", pad=0.2];'
  echo '  node [shape=none, label=""];'
  echo '  edge [penwidth=5, arrowsize=1.5, color="gray30"];'
  for i in "${!stages[@]}"; do
    echo "  s$i [image=\"migration-${stages[$i]}.png\"];"
    [ "$i" -gt 0 ] && echo "  s$((i - 1)) -> s$i;"
  done
  echo '}'
} | dot -Tpng -o docs/migration.png
echo docs/migration.png
