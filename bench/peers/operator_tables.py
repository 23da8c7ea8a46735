"""Write the test sets of ../shared/peers/rd1d_operator_data.py (u0_test_N.npy, u1_test_N.npy)
as wide tables for fit-operator eval: sample, t, x, u at t = 0 and t = 1 on N points of [0, 1).

  python bench/peers/operator_tables.py DATA_DIR N OUT.csv
"""
import sys

import numpy as np


def main():
    data, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    suffix = "" if n == 256 else f"_{n}"
    u0 = np.load(f"{data}/u0_test{suffix}.npy")
    u1 = np.load(f"{data}/u1_test{suffix}.npy")
    x = np.arange(n) / n
    with open(out, "w") as f:
        f.write("sample,t,x,u\n")
        for i in range(u0.shape[0]):
            for t, u in ((0, u0[i]), (1, u1[i])):
                f.write("".join(f"{1000 + i},{t},{float(xx)!r},{float(uu)!r}\n" for xx, uu in zip(x, u)))


if __name__ == "__main__":
    main()
