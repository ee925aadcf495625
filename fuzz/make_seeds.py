#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/) from real files.

Run from the repository root: python3 fuzz/make_seeds.py. The files are copies of the
repository's own configs, sweeps and model JSON, plus, when ../shared/data is present, the JiT and
Mamba2 model JSON there. Safetensors seeds keep a real file's header fields and its first tensors,
cut to at most 2 KiB of data (the first rows of a larger tensor), so that the fuzzer mutates small
inputs that still look like the real files. Deterministic: the same sources give the same seeds.
"""
import json
import os
import shutil
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
DTYPE_BYTES = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I8": 1, "U8": 1, "I16": 2, "I32": 4,
               "I64": 8, "BOOL": 1}
DATA_BUDGET = 2048


def small_safetensors(source):
    """A valid safetensors file with the metadata and the first tensors of `source`."""
    with open(source, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        data_start = 8 + header_len
        out_header, out_data = {}, b""
        if "__metadata__" in header:
            out_header["__metadata__"] = header["__metadata__"]
        tensors = sorted((k for k in header if k != "__metadata__"),
                         key=lambda k: header[k]["data_offsets"][0])
        for name in tensors:
            entry = header[name]
            shape = entry["shape"]
            row = DTYPE_BYTES[entry["dtype"]]
            for d in shape[1:]:
                row *= d
            rows = shape[0] if shape else 1
            room = DATA_BUDGET - len(out_data)
            keep = min(rows, room // row) if row else rows
            if keep == 0:
                break
            f.seek(data_start + entry["data_offsets"][0])
            values = f.read(keep * row)
            begin = len(out_data)
            out_data += values
            out_header[name] = {"dtype": entry["dtype"],
                                "shape": ([keep] + shape[1:]) if shape else [],
                                "data_offsets": [begin, len(out_data)]}
    text = json.dumps(out_header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)  # data aligned to 8 bytes, as the reference writes
    return struct.pack("<Q", len(text)) + text + out_data


def main():
    sources = {
        "config": [os.path.join(ROOT, "configs", n) for n in sorted(os.listdir(
            os.path.join(ROOT, "configs"))) if n.endswith(".yaml")],
        "sweep": [os.path.join(ROOT, "configs", "sweeps", n) for n in sorted(os.listdir(
            os.path.join(ROOT, "configs", "sweeps"))) if n.endswith(".yaml")],
        "hf_config": [os.path.join(ROOT, "workloads/data/mamba-bytes-4l", n)
                      for n in ("config.json", "model.safetensors.index.json")] +
                     [os.path.join(SHARED, p) for p in (
                         "jit-mnist-tiny/config.json", "mamba2-bytes-4l/config.json")
                      if os.path.exists(os.path.join(SHARED, p))],
    }
    for target, files in sources.items():
        out = os.path.join(CORPUS, target)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        for path in files:
            parent = os.path.basename(os.path.dirname(path))
            shutil.copyfile(path, os.path.join(out, parent + "-" + os.path.basename(path)))
    out = os.path.join(CORPUS, "safetensors")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    safetensors = [os.path.join(ROOT, p) for p in (
        "calib/mamba-bytes-4l.safetensors", "workloads/data/linear_example.safetensors",
        "workloads/data/mamba-bytes-4l/model-00003-of-00003.safetensors")]
    safetensors += [os.path.join(SHARED, p) for p in (
        "golden-numerics/quant_0.safetensors", "golden-numerics/grouplookup_0.safetensors",
        "jit-mnist-tiny/model.safetensors") if os.path.exists(os.path.join(SHARED, p))]
    for path in safetensors:
        parent = os.path.basename(os.path.dirname(path))
        with open(os.path.join(out, parent + "-" + os.path.basename(path)), "wb") as f:
            f.write(small_safetensors(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
