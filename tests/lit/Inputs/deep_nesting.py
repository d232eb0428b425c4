"""Writes a graph whose type or attribute nests DEPTH levels deep.

Usage: deep_nesting.py parens|minus|list DEPTH
"""
import sys

kind, depth = sys.argv[1], int(sys.argv[2])
if kind == "parens":
    dim = "(" * depth + "N" + ")" * depth
    print("graph g(%x: f32[" + dim + "]) {\n  return %x\n}")
elif kind == "minus":
    dim = "- " * depth + "N + " + str(depth)
    print("graph g(%x: f32[" + dim + "]) {\n  return %x\n}")
elif kind == "list":
    value = "[" * depth + "1" + "]" * depth
    print("graph g(%x: f32[2]) {\n"
          "  %w = param(init=custom(table=" + value + ")) : f32[2]\n"
          "  %y = add(%x, %w)\n"
          "  return %y\n}")
else:
    sys.exit("unknown kind " + kind)
