#!/usr/bin/env python3
"""Writes the UCI handwritten digits (1,797 grey 8x8 images, 10 classes) as IDX files, a second
dataset of another input size for the architecture benchmarks (BENCHMARKS.md section 19).

The images come from Debian's python3-sklearn, which ships them as digits.csv.gz (64 pixel values
0-16 and the label per row); nothing is downloaded. Every fourth image of each class goes to the
test split. Pixels are scaled to 0-255.

Usage: bench/digits_to_idx.py OUT_DIR   -> OUT_DIR/digits-{train,test}-{images-idx3,labels-idx1}-ubyte
then:  ./fedbase adapt ... --data idx:OUT_DIR/digits-train
"""
import gzip
import os
import struct
import sys

SOURCE = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"


def write_idx(prefix, images, labels):
    with open(prefix + "-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">IIII", 0x00000803, len(images), 8, 8))
        for pixels in images:
            f.write(bytes(min(255, v * 16) for v in pixels))
    with open(prefix + "-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">II", 0x00000801, len(labels)))
        f.write(bytes(labels))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: digits_to_idx.py OUT_DIR")
    if not os.path.exists(SOURCE):
        sys.exit(SOURCE + " is missing: apt-get install python3-sklearn")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    splits = {"train": ([], []), "test": ([], [])}
    seen = [0] * 10
    with gzip.open(SOURCE, "rt") as f:
        for line in f:
            values = [int(float(v)) for v in line.strip().split(",")]
            pixels, label = values[:64], values[64]
            if len(pixels) != 64 or not 0 <= label <= 9 or any(not 0 <= p <= 16 for p in pixels):
                sys.exit("unexpected row in " + SOURCE)
            split = "test" if seen[label] % 4 == 3 else "train"
            seen[label] += 1
            splits[split][0].append(pixels)
            splits[split][1].append(label)
    for name, (images, labels) in splits.items():
        write_idx(os.path.join(out, "digits-" + name), images, labels)
        print(f"{name}: {len(images)} images")


if __name__ == "__main__":
    main()
