#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the assignment's image (its Ubuntu 22.04
# or 24.04 base): Python 3.11 or later, bubblewrap for the worker's sandbox, and the kit's
# grading dependencies in /autograder/venv. The kit itself stays in /autograder/source.
set -euxo pipefail
export DEBIAN_FRONTEND=noninteractive

apt-get update
apt-get install -y --no-install-recommends bubblewrap ca-certificates
if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    PYTHON=python3
    apt-get install -y --no-install-recommends python3-venv
else
    apt-get install -y --no-install-recommends python3.11 python3.11-venv  # Ubuntu 22.04 ships 3.10
    PYTHON=python3.11
fi

"$PYTHON" -m venv /autograder/venv
/autograder/venv/bin/pip install --no-cache-dir --upgrade pip
# The CPU builds of PyTorch: Gradescope's machines have no GPU, and these are a fifth of the size.
/autograder/venv/bin/pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu \
    "torch>=2.4" "torchvision>=0.19"
# nbformat: the command line reads the course's notebooks, and notebook hand-ins are mapped back.
/autograder/venv/bin/pip install --no-cache-dir "matplotlib>=3.8" "tqdm>=4.66" "nbformat>=5.9"

# Say in the build log whether the worker will be isolated here.
cd /autograder/source
/autograder/venv/bin/python -c "from autograder import sandbox; print(sandbox.isolation().line())"
# Decompress and verify MNIST once, into the image: each grading then reads it as is (mnist_cache.py).
/autograder/venv/bin/python -c "from autograder.mnist_cache import mnist_root; print('MNIST for gradings:', mnist_root())"
