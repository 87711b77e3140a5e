#!/usr/bin/env bash
# The shipped models and results, from the CIFAR-10 training split to the tables, in one command:
#
#     scripts/reproduce.sh PATH_TO_CIFAR10        # the original release folder or cifar10-jpeg.tar.xz
#
# Every step skips or resumes the work already done (training per epoch, result files per image),
# so run it again after an interruption. On two CPU cores: training ≈ 3 h, model cards ≈ 5.6 h
# (fp32 CERTIFY, N = 10,000, 500 images each), the int8 check ≈ 0.4 h, the grid ≈ 2.9 h.
set -euo pipefail
DATA=${1:?usage: scripts/reproduce.sh PATH_TO_CIFAR10}
cd "$(dirname "$0")/.."
MODELS="small-gaussian-0.25 small-gaussian-0.50 small-uniform-0.25 small-gaussian-0.12 small-uniform-0.50 small-gaussian-1.00 small-uniform-1.00"

# 1. train (Gaussian σ = 0.25 from scratch, the others fine-tuned from it) and install into the package
python scripts/train_shipped_models.py --data-root "$DATA" --out runs/shipped --install

# 2. an int8 calibration for each model, unless it has one made from its current weights
for m in $MODELS; do
  python -c "from ancer_core.models import load_int8; load_int8('$m')" 2>/dev/null ||
    python -m ancer_core quantize --model "$m" --data-root "$DATA"
done

# 3. model cards: fixed σ, N0 = 100, N = 10,000, α = 0.001, test images 0:10000:20, fp32
for m in $MODELS; do python scripts/evaluate_shipped.py "$m"; done

# 4. the int8 networks against fp32 on the app's default models
for m in small-gaussian-0.25 small-uniform-0.50; do python scripts/evaluate_shipped.py "$m" --precision int8; done
python scripts/compare_int8.py small-gaussian-0.25 small-uniform-0.50

# 5. the results grid (fixed σ, Isotropic DD, ANCER): int8 CERTIFY and bf16 optimizers where the CPU has
#    native bf16 (see docs/performance.md), fp32 otherwise
OPT=fp32
python -c "from ancer_core.models import cpu_features; raise SystemExit(not cpu_features()['avx512_bf16'])" && OPT=bf16
python -m ancer_core grid --precision int8 --optimizer-precision "$OPT"

# 6. the tables
python scripts/models_table.py > /dev/null
python -m ancer_core analyze --grid results
