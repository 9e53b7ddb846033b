import json
import shlex
import subprocess
import sys

#: In a fresh interpreter, whose peak memory no earlier test has raised.
SCRIPT = """
import json, sys
import numpy as np
from stance.run._cache import StageCache
from stance.run._stages import Stages

stages = Stages(StageCache(sys.argv[1], enabled=False))
stages.run("small", lambda: None)
stages.run("large", lambda: float(np.ones(256 * 2**20 // 8).sum()))  # 256 MB, every page written
stages.run("after", lambda: None)
print(json.dumps({name: r["peak_rss_mb"] for name, r in stages.records.items()}))
"""


def test_a_stage_record_holds_the_peak_memory_the_stage_reached(tmp_path):
    # through a shell that forks it: a process this one started directly would count this
    # one's memory (ru_maxrss keeps the high-water mark across exec)
    command = shlex.join([sys.executable, "-c", SCRIPT, str(tmp_path / "cache")]) + "; true"
    out = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, check=True)
    peaks = json.loads(out.stdout)
    assert 0 < peaks["small"]
    # the stage that allocated set the peak: its block alone is 256 MB
    assert peaks["large"] >= 256 > peaks["small"]
    assert peaks["after"] == peaks["large"]  # a peak so far: a later, smaller stage keeps it
