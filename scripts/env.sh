# Sourced by the other scripts: the repository root as working directory, and the project's own tools
# first on PATH. npm's wasm-opt must come before any system binaryen, whose older wasm-opt breaks hydration.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TOOLS_DIR="$HOME/.local/share/emporium-tools"
export PATH="$PWD/style/node_modules/.bin:$PWD/end2end/node_modules/.bin:$TOOLS_DIR/bin:$HOME/.cargo/bin:$PATH"
# cargo-leptos builds the debug server with this flag; giving it to every cargo command lets the
# server, the tests and clippy share one build of the dependencies.
export RUSTFLAGS="--cfg erase_components"
log() { printf '\n==> %s\n' "$*"; }
