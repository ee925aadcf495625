#!/usr/bin/python3
"""Writes workloads/data/linear_example.safetensors: one real layer for `cimba run`'s linear
workload, taken from the shared byte-level Mamba model (not typed in by hand).

  W   F16 [80, 1536]  backbone.layers.0.mixer.x_proj.weight (as stored, float16)
  X   F32 [64, 1536]  layers.0.conv1d.out of golden_mamba.safetensors: the x_proj input (SSM input
                      u) of the first 64 validation bytes, from transformers' own forward

Usage: /usr/bin/python3 scripts/make_linear_example.py [SHARED_DATA_DIR] [OUT]
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np

DTYPES = {"F16": np.float16, "F32": np.float32, "I64": np.int64}


def read_tensor(path, name):
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    info = header[name]
    begin, end = info["data_offsets"]
    data = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype=DTYPES[info["dtype"]])
    return data.reshape(info["shape"]), info["dtype"]


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, (array, dtype) in tensors.items():
        blob = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    shared = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
    out = Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).resolve().parents[1] / "workloads" / "data" / "linear_example.safetensors")
    model = shared / "mamba-bytes-4l"
    index = json.loads((model / "model.safetensors.index.json").read_text())
    wname = "backbone.layers.0.mixer.x_proj.weight"
    w, wdtype = read_tensor(model / index["weight_map"][wname], wname)
    x, _ = read_tensor(model / "golden_mamba.safetensors", "layers.0.conv1d.out")
    x = x.reshape(-1, x.shape[-1]).astype(np.float32)
    assert w.shape == (80, 1536) and x.shape == (64, 1536), (w.shape, x.shape)
    write_safetensors(out, {"W": (w, wdtype), "X": (x, "F32")},
                      {"source": "shared/data/mamba-bytes-4l layer 0 x_proj weight; input = "
                                 "golden_mamba.safetensors layers.0.conv1d.out (first 64 "
                                 "validation bytes)",
                       "generated_by": "scripts/make_linear_example.py"})
    print(f"wrote {out} (W {w.shape} {wdtype}, X {x.shape} F32)")


if __name__ == "__main__":
    main()
