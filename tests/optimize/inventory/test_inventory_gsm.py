"""Guaranteed-service placement: the FoSCT examples, Willems (2008) chains, DP against MILP."""

from __future__ import annotations

import numpy as np
import pytest

from supplylab.errors import InputError
from supplylab.optimize.inventory import GSMNetwork, read_willems, solve_milp, solve_tree

# README table of ../shared/benchmarks/inventory/willems2008 (HiGHS-proven optima)
WILLEMS_OPTIMA = {"01": 3965.82, "05": 708658.58, "13": 3480987.36, "15": 558148.37}


def _net_from_case(c: dict) -> GSMNetwork:
    i = c["inputs"]
    if "edges" in i:  # tree example: dicts by node
        ids = [str(k) for k in sorted(i["processing_time_T"])]
        arcs = [(str(a), str(b)) for a, b in i["edges"]]
        var = {str(k): v["sd"] ** 2 for k, v in i["demand"].items()}
        succ: dict[str, list[str]] = {}
        for a, b in arcs:
            succ.setdefault(a, []).append(b)

        def pooled(k: str) -> float:
            return var.get(k, 0.0) + sum(pooled(j) for j in succ.get(k, []))

        return GSMNetwork.build(
            ids, [i["processing_time_T"][int(k)] for k in ids],
            [i["local_holding_cost"][int(k)] for k in ids], [np.sqrt(pooled(k)) for k in ids],
            i["z"], arcs, {str(k): v for k, v in i["external_outbound_cst"].items()},
            {str(k): v for k, v in i["external_inbound_cst"].items()})
    ids = [str(k) for k in i["nodes_downstream_first"]]
    z = i.get("z", i.get("z_demand_bound_constant"))
    inbound = next(v for k, v in i.items() if k.startswith("external_inbound_cst"))
    outbound = next(v for k, v in i.items() if k.startswith("external_outbound_cst"))
    return GSMNetwork.build(ids, i["processing_time_T"], i["local_holding_cost"],
                            [i["demand"]["sd"]] * len(ids), z,
                            [(ids[k + 1], ids[k]) for k in range(len(ids) - 1)],
                            {ids[0]: outbound}, {ids[-1]: inbound})


@pytest.mark.parametrize("cid", ["gsm_serial_ex6_3", "gsm_serial_problem6_8", "gsm_tree_ex6_5"])
@pytest.mark.parametrize("solver", [solve_tree, solve_milp])
def test_fosct_gsm_examples(cases, cid: str, solver) -> None:
    """FoSCT 2e Examples 6.3 and 6.5, Problem 6.8 (Graves and Willems 2000)."""
    c = cases[cid]
    net = _net_from_case(c)
    sol = solver(net)
    tol = c["tolerance"]["abs"]
    assert abs(sol.objective - c["expected"]["safety_stock_cost"]) <= max(tol, 1e-6)
    cst = {str(k): v for k, v in c["expected"]["CST"].items()}
    assert {s: int(v) for s, v in zip(net.ids, sol.S, strict=True)} == cst
    assert sol.status == "optimal"


@pytest.mark.parametrize("chain", sorted(WILLEMS_OPTIMA))
def test_willems_reference_optima(willems_dir, chain: str) -> None:
    """Willems (2008) chains under the README conventions, proven optimal."""
    net = read_willems(willems_dir / f"willems_{chain}.csv")
    sol = solve_milp(net, time_limit_s=60)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(WILLEMS_OPTIMA[chain], abs=0.01)
    assert sol.bound <= sol.objective + 1e-6
    net.check(sol.S, sol.SI)


def _random_tree(rng: np.random.Generator, n: int) -> GSMNetwork:
    ids = [f"s{k}" for k in range(n)]
    arcs = []
    for k in range(1, n):
        j = int(rng.integers(0, k))
        arcs.append((ids[j], ids[k]) if rng.random() < 0.6 else (ids[k], ids[j]))
    sinks = {b for _, b in arcs} - {a for a, _ in arcs}
    ms = {s: int(rng.integers(0, 3)) for s in sinks}
    return GSMNetwork.build(ids, rng.integers(0, 6, n), rng.uniform(0.1, 5, n),
                            rng.uniform(0.5, 3, n), 1.645, arcs, ms)


def test_tree_dp_agrees_with_milp_on_random_trees() -> None:
    """Both methods are exact on trees: same optimum on 15 random mixed trees."""
    rng = np.random.default_rng(11)
    for _ in range(15):
        net = _random_tree(rng, int(rng.integers(3, 14)))
        dp, milp = solve_tree(net), solve_milp(net)
        assert dp.objective == pytest.approx(milp.objective, rel=1e-7, abs=1e-7)
        assert net.cost(dp.S, dp.SI) == pytest.approx(dp.objective, rel=1e-12)


def test_cycle_is_input_error() -> None:
    with pytest.raises(InputError, match="cycle through"):
        GSMNetwork.build(["a", "b", "c"], [1, 1, 1], [1, 1, 1], [1, 1, 1], 1.0,
                         [("a", "b"), ("b", "c"), ("c", "a")])


def test_tree_dp_rejects_a_network_with_an_undirected_cycle() -> None:
    net = GSMNetwork.build(["a", "b", "c", "d"], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], 1.0,
                           [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    with pytest.raises(InputError, match="undirected cycle"):
        solve_tree(net)
    assert solve_milp(net).status == "optimal"


def test_scenario_multi_echelon_placement(tmp_path) -> None:
    """One GSM per product on a two-echelon scenario: customer-facing sites quote S = 0, the
    written levels are the base stocks, and no placement costs more than stock everywhere."""
    from pathlib import Path

    import supplylab
    from supplylab.optimize.inventory import optimize_inventory

    base = Path(__file__).resolve().parents[3] / "scenarios" / "regional_3pl.yaml"
    res = optimize_inventory(base, tmp_path / "me.yaml", multi_echelon=True)
    st = res.stages
    assert set(st["product"]) == {p.id for p in supplylab.load(base).products}
    assert (st["status"] == "optimal").all()
    assert (st.loc[st["site"].isin(["WH-HH", "WH-MUC"]), "S"] == 0).all()
    assert (st["NRT"] >= 0).all() and (st["NRT"] <= st["SI"] + st["T"] + 1e-9).all()
    chosen = supplylab.load(tmp_path / "me.yaml")
    row = st[(st["site"] == "WH-MUC") & (st["product"] == "MON-24")].iloc[0]
    pol = chosen.network.facilities["WH-MUC"].inventory.policy_for("MON-24")
    assert float(pol.S) == float(np.ceil(row["base_stock"] - 1e-9))


@pytest.mark.parametrize("chain", sorted(WILLEMS_OPTIMA))
def test_spanning_forest_bound_is_below_the_optimum(willems_dir, chain: str) -> None:
    from supplylab.optimize.inventory.gsm_tree import tree_relaxation

    net = read_willems(willems_dir / f"willems_{chain}.csv")
    bound, S, SI = tree_relaxation(net)
    assert bound <= WILLEMS_OPTIMA[chain] + 0.01
    assert net.cost(S, SI) >= WILLEMS_OPTIMA[chain] - 0.01  # the repaired solution is feasible


def test_spanning_forest_proves_willems_22(willems_dir) -> None:
    """Chain 22: the forest relaxation's optimum is feasible, hence optimal (no MILP run)."""
    net = read_willems(willems_dir / "willems_22.csv")
    sol = solve_milp(net, time_limit_s=60)
    assert sol.status == "optimal" and sol.method == "forest-bound"
    assert sol.gap <= 1e-6
    net.check(sol.S, sol.SI)
