#!/usr/bin/env python3
"""Runs protoc-c on .proto files, working around protoc-c < 1.5 lacking proto3 'optional'.

protoc itself implements a proto3 'optional' field as a one-member oneof;
this does the same in the source before protoc-c sees it:
    optional bool enabled = 1;   ->   oneof has_enabled { bool enabled = 1; }
Wire format and JSON are unchanged. In C, presence is the oneof case:
'msg->has_enabled_case' is nonzero when the field is present.

usage: gen-protobuf-c.py PROTOC_C ROOT OUTDIR FILE...   (FILEs relative to ROOT)
"""
import os
import re
import subprocess
import sys
import tempfile

OPTIONAL = re.compile(r'^(\s*)optional\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;(.*)$')


def rewrite(text):
    out = []
    for line in text.splitlines():
        m = OPTIONAL.match(line)
        if m:
            indent, typ, name, num, rest = m.groups()
            line = f'{indent}oneof has_{name} {{ {typ} {name} = {num}; }}{rest}'
        out.append(line)
    return '\n'.join(out) + '\n'


def main():
    protoc_c, root, outdir, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    with tempfile.TemporaryDirectory() as tmp:
        for rel in files:
            with open(os.path.join(root, rel)) as f:
                text = f.read()
            dst = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, 'w') as f:
                f.write(rewrite(text))
        cmd = [protoc_c, '-I' + tmp, '-I/usr/include', '--c_out=' + outdir] + files
        sys.exit(subprocess.call(cmd))


if __name__ == '__main__':
    main()
