#!/usr/bin/env python3
"""Donations per candidate on one day: CandidateCountsTask's answer, in Python.

Run by nectar as the program task CandidateCountsPyTask (see donations_chain.ts). Standard
library only. nectar hands over:
  NECTAR_PARAMS_FILE  the task's parameters as JSON (also --day=... --seed=... --count=...)
  NECTAR_INPUT        the donations, JSON Lines (DonationsTask's output)
  NECTAR_OUTPUT       where to write counts.json; nectar moves it into place if we exit 0
Anything printed goes to the task's log; a non-zero exit fails the task.
"""
import json
import os
import sys
from collections import Counter


def main() -> int:
    with open(os.environ["NECTAR_PARAMS_FILE"], encoding="utf-8") as f:
        params = json.load(f)
    day = params["day"]
    counts: Counter[str] = Counter()
    with open(os.environ["NECTAR_INPUT"], encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            if d["date"] == day:
                counts[d["candidate"]] += 1
    total = sum(counts.values())
    result = {"date": day, "total": total, "counts": {c: counts[c] for c in sorted(counts)}}
    with open(os.environ["NECTAR_OUTPUT"], "w", encoding="utf-8") as f:
        f.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"{total} donations on {day}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
