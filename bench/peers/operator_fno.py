"""Run ../shared/peers/neuraloperator_fno1d.py (data, training loop, timing unchanged) with
neuraloperator's FNO built as the classical FNO of Li et al. (2021) that fit-operator trains:
a one-layer lifting (lifting_channel_ratio=0), Fourier layers of a spectral convolution plus a
linear skip and no channel MLP (use_channel_mlp=False), and the two-layer projection of width
2·64 (the default). n_modes=(16,) stays: in 1-D neuraloperator keeps 16 // 2 + 1 = 9
non-negative frequencies of the real FFT, which is fit-operator's --modes 9.

Adds to results.json the parameter count in real numbers (the peer script's count takes a
complex weight as one parameter) and what was run.

  python bench/peers/operator_fno.py PEER_SCRIPT [the peer script's arguments]
"""
import functools
import json
import runpy
import sys

import neuralop.models

CLASSIC = dict(lifting_channel_ratio=0, use_channel_mlp=False)


def main():
    script, args = sys.argv[1], sys.argv[2:]
    fno = neuralop.models.FNO
    neuralop.models.FNO = functools.partial(fno, **CLASSIC)
    sys.argv = [script] + args
    runpy.run_path(script, run_name="__main__")
    out = args[args.index("--out") + 1]
    model = fno(n_modes=(16,), in_channels=1, out_channels=1, hidden_channels=64, n_layers=4, **CLASSIC)
    kept = model.fno_blocks.convs[0].n_modes
    with open(f"{out}/results.json") as f:
        res = json.load(f)
    res["params_real"] = sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters())
    res["kept_modes"] = list(kept)
    res["architecture"] = CLASSIC
    with open(f"{out}/results.json", "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
