#!/usr/bin/python3
"""Regenerates the built-in evaluation and calibration texts of cimba from TinyShakespeare.

Usage: /usr/bin/python3 workloads/data/make_text_data.py [PATH/TO/tinyshakespeare/input.txt]
(default: ../shared/data/tinyshakespeare/input.txt beside the repository).

Writes, next to this script:
  tinyshakespeare_val.txt         bytes [1003854, 1115394) of input.txt (validation split, 111540 bytes)
  tinyshakespeare_train_head.txt  bytes [0, 65536) of input.txt (first 64 KiB of the training split)
(workloads/CMakeLists.txt turns each .txt into a C++ raw string literal at configure time, so
the texts are compiled into the library.)
"""
import hashlib
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
SOURCE_MD5 = "6fb458f1232090904fb40fe944165e91"
SOURCE_BYTES = 1115394
TRAIN_END = 1003854
TRAIN_HEAD = 65536
DELIM = "cimba_text"


def main():
    src = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else (
        HERE.parents[2] / "shared" / "data" / "tinyshakespeare" / "input.txt")
    data = src.read_bytes()
    if len(data) != SOURCE_BYTES or hashlib.md5(data).hexdigest() != SOURCE_MD5:
        sys.exit(f"{src}: not the TinyShakespeare input.txt (size {len(data)}, md5 {hashlib.md5(data).hexdigest()})")
    parts = {"tinyshakespeare_val": data[TRAIN_END:], "tinyshakespeare_train_head": data[:TRAIN_HEAD]}
    for name, part in parts.items():
        text = part.decode("ascii")  # ASCII with '\n' only: safe inside a raw string literal
        assert ")" + DELIM + '"' not in text and "\r" not in text
        (HERE / f"{name}.txt").write_bytes(part)
        print(f"{name}.txt: {len(part)} bytes, md5 {hashlib.md5(part).hexdigest()}")


if __name__ == "__main__":
    main()
