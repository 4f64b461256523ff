#!/usr/bin/env bash
# Installs the PyTorch peer for the benchmark harness: Debian's python3-torch (1.13) with OpenBLAS,
# run by /usr/bin/python3 (not a pyenv python). Needs root (apt-get).
set -euo pipefail
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  /usr/bin/python3 -c "import torch; print('torch', torch.__version__, 'threads', torch.get_num_threads())"
  exit 0
fi
apt-get update
apt-get install -y python3-torch libopenblas0-pthread
/usr/bin/python3 -c "import torch; print('torch', torch.__version__, 'threads', torch.get_num_threads())"
