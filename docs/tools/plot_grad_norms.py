#!/usr/bin/env python3
"""Draws course chapter 11's figure: the norm of the gradient reaching h_t against t, from the
CSV that `adding_problem --norms FILE` writes (length, cell, step, t, norm), on a log scale,
one line per (cell, step). Norms that underflowed to 0 in float are drawn at the bottom edge
as a dotted line. Hand-written SVG: no plotting library needed.

Usage: plot_grad_norms.py NORMS.csv OUT.svg
"""
import csv
import math
import sys

COLORS = {"rnn": "#d62728", "lstm": "#1f77b4"}
NAMES = {"rnn": "tanh RNN", "lstm": "LSTM"}


def main(src, dst):
    series = {}
    with open(src, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["cell"], int(row["step"]))
            series.setdefault(key, []).append((int(row["t"]), float(row["norm"])))
    last_step = max(s for _, s in series)
    length = max(t for pts in series.values() for t, _ in pts) + 1
    lo_exp, hi_exp = -40, 0  # 1e-40 .. 1: float's normal range ends near 1e-38
    width, height, left, right, top, bottom = 760, 440, 70, 200, 40, 50
    pw, ph = width - left - right, height - top - bottom

    def px(t):
        return left + pw * t / (length - 1)

    def py(v):
        e = math.log10(v) if v > 0 else lo_exp
        e = min(max(e, lo_exp), hi_exp)
        return top + ph * (hi_exp - e) / (hi_exp - lo_exp)

    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
           "font-family='sans-serif' font-size='12'>",
           "<rect width='100%' height='100%' fill='white'/>",
           f"<text x='{left}' y='24' font-size='15'>Norm of the gradient reaching h_t, adding "
           f"problem, T = {length}</text>",
           f"<rect x='{left}' y='{top}' width='{pw}' height='{ph}' fill='none' stroke='#888'/>"]
    for e in range(lo_exp, hi_exp + 1, 5):
        y = py(10.0 ** e)
        out.append(f"<line x1='{left}' y1='{y:.1f}' x2='{left + pw}' y2='{y:.1f}' "
                   "stroke='#eee'/>")
        out.append(f"<text x='{left - 6}' y='{y + 4:.1f}' text-anchor='end'>1e{e}</text>")
    for t in range(0, length, max(1, length // 5)):
        out.append(f"<text x='{px(t):.1f}' y='{top + ph + 18}' text-anchor='middle'>{t}</text>")
    out.append(f"<text x='{left + pw / 2}' y='{top + ph + 38}' text-anchor='middle'>time step t "
               "(the loss reads h at the last step)</text>")
    ly = top + 14
    for cell in ("rnn", "lstm"):
        for step in (1, last_step):
            pts = sorted(series.get((cell, step), []))
            if not pts:
                continue
            dash = "" if step == 1 else " stroke-dasharray='6,3'"
            ok = " ".join(f"{px(t):.1f},{py(v):.1f}" for t, v in pts if v > 0)
            out.append(f"<polyline fill='none' stroke-width='2' stroke='{COLORS[cell]}'{dash} "
                       f"points='{ok}'/>")
            zeros = [t for t, v in pts if v == 0]
            if zeros:
                out.append(f"<line x1='{px(zeros[0]):.1f}' y1='{py(0):.1f}' "
                           f"x2='{px(zeros[-1]):.1f}' y2='{py(0):.1f}' stroke='{COLORS[cell]}' "
                           "stroke-width='3' stroke-dasharray='1,3'/>")
            label = f"{NAMES[cell]}, " + ("step 1" if step == 1 else f"after {step} steps")
            out.append(f"<line x1='{left + pw + 10}' y1='{ly - 4}' x2='{left + pw + 34}' "
                       f"y2='{ly - 4}' stroke='{COLORS[cell]}' stroke-width='2'{dash}/>")
            out.append(f"<text x='{left + pw + 40}' y='{ly}'>{label}</text>")
            ly += 18
    out.append(f"<text x='{left + pw + 10}' y='{ly + 8}' font-size='11'>dotted at the bottom:</text>")
    out.append(f"<text x='{left + pw + 10}' y='{ly + 22}' font-size='11'>0 in float (underflow)</text>")
    out.append("</svg>")
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
