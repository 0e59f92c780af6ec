"""The engine holds back garbage collections only while models run."""

from __future__ import annotations

import gc
import threading

from supplylab.sim import run_replication
from supplylab.sim.engine import FULL_GC_THRESHOLD, YOUNG_GC_THRESHOLD, fewer_full_collections

from .helpers import single_site


def test_thresholds_are_raised_while_running_and_restored_after():
    before = gc.get_threshold()
    with fewer_full_collections():
        assert gc.get_threshold() == (max(before[0], YOUNG_GC_THRESHOLD), before[1],
                                      max(before[2], FULL_GC_THRESHOLD))
        with fewer_full_collections():  # a second model (another thread) runs meanwhile
            pass
        assert gc.get_threshold()[2] == max(before[2], FULL_GC_THRESHOLD)
    assert gc.get_threshold() == before
    sc = single_site(rate=3, policy={"policy": "sS", "s": 5, "S": 20}, lead_time=2, horizon=30)
    threads = [threading.Thread(target=run_replication, args=(sc, 1, k)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.get_threshold() == before
