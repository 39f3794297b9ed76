#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""symgraph.py: which file of a program uses a function or variable defined
in another file of it, read from the object files with nm (not from #include
lines, which one big header hides).

For each folder given as DIR=PREFIX (the objects of program PREFIX built
from that folder, e.g. daemon/agent=p2pd for daemon/agent/p2pd-*.o) it
prints the graph's size, its circles (strongly connected components) of
more than 3 files with the arrows inside them, the files over --max-lines
lines, and the file-static writable state (variables at file scope or
static inside a function, in .data or .bss). A DIR without =PREFIX only has
its long files listed. With --enforce DIR each of these in DIR is an error
(exit 1), except what --max-circle (3 by default) and the --allow-* options
still let pass; other folders are only reported.

usage: /usr/bin/python3 contrib/symgraph.py --build BUILDDIR --src SRCDIR
        [--enforce DIR]... [--max-circle N] [--max-lines N]
        [--allow-long FILE]... [--allow-state FILE]...
        DIR=PREFIX... [DIR...]
"""
import argparse
import glob
import os
import subprocess
import sys


def nm_symbols(obj):
    """(defined globals, undefined, local writable data) of one object."""
    out = subprocess.run(["nm", "-f", "sysv", obj], check=True,
                         capture_output=True, text=True).stdout
    defined, undef, state = set(), set(), []
    for line in out.splitlines():
        f = [x.strip() for x in line.split("|")]
        if len(f) < 7:
            continue
        name, kind, section = f[0], f[2], f[6]
        if kind == "U":
            undef.add(name)
        elif kind in "TDBRCWVG":
            defined.add(name)
        elif kind in "db" and section in (".data", ".bss") and \
                not name.startswith((".", "__")):
            # writable at run time (.data.rel.ro and .rodata are not)
            state.append(name)
    return defined, undef, state


def circles(nodes, edges):
    """Strongly connected components (Tarjan), largest first."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return sorted(out, key=lambda c: (-len(c), c))


def lines_of(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def check_lines(args, d, enforce):
    """Files of d over --max-lines: the number of those that fail."""
    bad = 0
    longs = []
    for p in sorted(glob.glob(os.path.join(args.src, d, "*.[ch]"))):
        n = lines_of(p)
        rel = os.path.join(d, os.path.basename(p))
        if n > args.max_lines:
            allowed = rel in args.allow_long
            longs.append(rel)
            print("  %s: %d lines (over %d%s)" % (
                rel, n, args.max_lines,
                "; allowed for now: --allow-long" if allowed and enforce
                else ""))
            bad += enforce and not allowed
    if not longs:
        print("  %s: no file over %d lines" % (d, args.max_lines))
    return bad


def check_dir(args, d, prefix):
    objdir = os.path.join(args.build, d)
    objs = sorted(glob.glob(os.path.join(objdir, prefix + "-*.o")))
    if not objs:
        print("%s: no objects %s-*.o in %s (build first)" % (d, prefix, objdir))
        return 1
    defs, uses, state = {}, {}, {}
    for o in objs:
        src = os.path.basename(o)[len(prefix) + 1:-2] + ".c"
        if not os.path.exists(os.path.join(args.src, d, src)):
            continue    # left over from a source that is gone
        dset, uset, st = nm_symbols(o)
        for s in dset:
            defs[s] = src
        uses[src] = uset
        if st:
            state[src] = st
    edges, why = {}, {}
    for f, uset in uses.items():
        for s in uset:
            g = defs.get(s)
            if g is not None and g != f:
                edges.setdefault(f, set()).add(g)
                why.setdefault((f, g), []).append(s)
    nedges = sum(len(v) for v in edges.values())
    comps = circles(uses.keys(), edges)
    big = [c for c in comps if len(c) > 3]
    enforce = d in args.enforce
    bad = 0
    print("%s (%s): %d files, %d arrows, largest circle %d file%s%s" % (
        d, prefix, len(uses), nedges, len(comps[0]),
        "" if len(comps[0]) == 1 else "s",
        "" if enforce else " (reported, not enforced)"))
    for c in big:
        back = sum(1 for f in c for g in edges.get(f, ()) if g in c)
        over = enforce and len(c) > args.max_circle
        print("  circle of %d files (%d arrows inside)%s: %s" % (
            len(c), back, "" if not enforce or over else
            "; allowed for now: --max-circle %d" % args.max_circle,
            " ".join(c)))
        for f in c:
            for g in sorted(edges.get(f, ())):
                if g in c:
                    print("    %s -> %s: %s" % (
                        f, g, " ".join(sorted(why[(f, g)])[:6])))
        bad += over
    if not big:
        print("  no circle of more than 3 files")
    bad += check_lines(args, d, enforce)
    for f in sorted(state):
        rel = os.path.join(d, f)
        allowed = rel in args.allow_state
        print("  %s: file-static writable state: %s%s" % (
            rel, " ".join(sorted(state[f])),
            " (allowed for now: --allow-state)" if allowed else ""))
        bad += enforce and not allowed
    if not state:
        print("  no file-static writable state")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--enforce", action="append", default=[])
    ap.add_argument("--allow-long", action="append", default=[])
    ap.add_argument("--allow-state", action="append", default=[])
    ap.add_argument("--max-circle", type=int, default=3)
    ap.add_argument("--max-lines", type=int, default=600)
    ap.add_argument("dirs", nargs="+", metavar="DIR=PREFIX")
    args = ap.parse_args()
    bad = 0
    for spec in args.dirs:
        if "=" not in spec:
            bad += check_lines(args, spec.rstrip("/"), False)
            continue
        d, prefix = spec.split("=", 1)
        bad += check_dir(args, d.rstrip("/"), prefix)
    if bad:
        print("symgraph: %d problem%s in enforced folders" % (
            bad, "" if bad == 1 else "s"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
